// child_process: execFileSync('/bin/echo') returns stdout as a Buffer or string
const cp = require("node:child_process");
const out = cp.execFileSync("/bin/echo", ["hello", "world"]);
console.log(Buffer.isBuffer(out), JSON.stringify(out.toString()));
console.log(JSON.stringify(cp.execFileSync("/bin/echo", ["x"], { encoding: "utf8" })));
