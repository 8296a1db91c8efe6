// util: util.promisify turns a callback API into promises
const util = require("node:util");
function addLater(a, b, cb) { setTimeout(() => cb(null, a + b), 0); }
function failLater(cb) { setTimeout(() => cb(new Error("nope")), 0); }
const add = util.promisify(addLater);
add(2, 3).then((v) => console.log("sum", v));
util.promisify(failLater)().catch((e) => console.log("failed", e.message));
