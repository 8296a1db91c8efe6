// child_process: spawnSync child sees env passed explicitly
const { spawnSync } = require("node:child_process");
const r = spawnSync("/bin/sh", ["-c", "echo $CHILD_VAR"], { env: { CHILD_VAR: "from-parent" }, encoding: "utf8" });
console.log(r.status, r.stdout.trim());
