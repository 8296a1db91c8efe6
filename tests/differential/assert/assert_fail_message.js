// assert: assert.fail and custom Error objects as message
const assert = require("node:assert");
try { assert.fail("boom"); } catch (e) { console.log(e.name, e.message, e.code); }
try { assert.ok(0, new RangeError("own error")); } catch (e) { console.log(e.name, e.message); }
