// assert: assert.throws/rejects match error shapes
const assert = require("node:assert");
assert.throws(() => { throw new TypeError("bad"); }, TypeError);
assert.throws(() => { throw new Error("msg here"); }, /msg/);
assert.throws(() => { const e = new Error("x"); e.code = "E1"; throw e; }, { code: "E1" });
try { assert.throws(() => {}); } catch (e) { console.log(e.code); }
assert.rejects(Promise.reject(new Error("r")), /r/).then(() => console.log("rejects ok"));
