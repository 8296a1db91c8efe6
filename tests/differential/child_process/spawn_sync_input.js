// child_process: spawnSync passes input on stdin and captures stderr separately
const { spawnSync } = require("node:child_process");
const r = spawnSync("/bin/sh", ["-c", "cat; echo err >&2"], { input: "from stdin\n", encoding: "utf8" });
console.log(r.status, JSON.stringify(r.stdout), JSON.stringify(r.stderr));
