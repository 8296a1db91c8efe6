// assert: assert.ok/equal/strictEqual pass silently and throw AssertionError
const assert = require("node:assert");
assert.ok(true); assert.equal(1, "1"); assert.strictEqual(2, 2);
try { assert.strictEqual(1, 2); } catch (e) { console.log(e.name, e.code, e.actual, e.expected, e.operator); }
try { assert(false, "custom message"); } catch (e) { console.log(e.message, e.code); }
