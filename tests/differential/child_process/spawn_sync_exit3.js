// child_process: spawnSync of sh -c 'exit 3' reports status 3
const { spawnSync } = require("node:child_process");
const r = spawnSync("/bin/sh", ["-c", "exit 3"]);
console.log(r.status, r.signal, r.stdout.length);
