// assert: assert.deepStrictEqual compares structure
const assert = require("node:assert");
assert.deepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] });
try { assert.deepStrictEqual({ a: 1 }, { a: "1" }); } catch (e) { console.log(e.code, e.operator); }
assert.notDeepStrictEqual([1], [2]);
console.log("deep ok");
