// util: util.inspect options: compact, breakLength, sorted, showHidden on arrays, Proxy
const util = require("node:util");
console.log(util.inspect({ b: 1, a: { c: 2 } }, { compact: false }));
console.log(util.inspect({ b: 1, a: 2, c: 3 }, { sorted: true }));
console.log(util.inspect([1, 2], { showHidden: true }));
console.log(util.inspect(new Proxy({ x: 1 }, {})), util.inspect("a".repeat(10), { maxStringLength: 4 }));
console.log(util.inspect(Array.from({ length: 3 }, (_, i) => i), { maxArrayLength: 2 }));
