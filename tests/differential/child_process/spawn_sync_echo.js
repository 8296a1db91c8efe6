// child_process: spawnSync('/bin/echo') result has status 0, signal null and stdout
const { spawnSync } = require("node:child_process");
const r = spawnSync("/bin/echo", ["spawned"], { encoding: "utf8" });
console.log(r.status, r.signal, JSON.stringify(r.stdout), JSON.stringify(r.stderr));
