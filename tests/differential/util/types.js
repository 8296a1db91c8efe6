// util: util.types predicates
const { types } = require("node:util");
console.log(types.isPromise(Promise.resolve()), types.isPromise({ then() {} }));
console.log(types.isDate(new Date(0)), types.isRegExp(/x/), types.isMap(new Map()), types.isSet(new Set()));
console.log(types.isTypedArray(new Uint8Array(1)), types.isUint8Array(Buffer.alloc(1)), types.isArrayBuffer(new ArrayBuffer(1)));
console.log(types.isAsyncFunction(async () => {}), types.isGeneratorFunction(function* () {}), types.isNativeError(new TypeError()));
