// util: util.isDeepStrictEqual
const util = require("node:util");
console.log(util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
console.log(util.isDeepStrictEqual({ a: 1 }, { a: "1" }));
console.log(util.isDeepStrictEqual(new Set([1, 2]), new Set([2, 1])));
console.log(util.isDeepStrictEqual([1, 2], [1, 2, 3]));
