// util: util.callbackify turns an async function into a callback API
const util = require("node:util");
const ok = util.callbackify(async (x) => x * 2);
const bad = util.callbackify(async () => { throw new Error("bad"); });
ok(21, (err, v) => console.log(err, v));
bad((err) => console.log(err.message));
