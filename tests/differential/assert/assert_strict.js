// assert: assert/strict equality semantics
const assert = require("node:assert/strict");
try { assert.equal(1, "1"); } catch (e) { console.log("strict equal throws", e.code); }
console.log(typeof assert.match, require("node:assert").strict === assert);
