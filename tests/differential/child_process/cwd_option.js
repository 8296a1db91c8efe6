// child_process: spawnSync cwd option (relative to process.cwd) sets the child's working directory
const fs = require("node:fs");
const { spawnSync } = require("node:child_process");
fs.mkdirSync("childdir");
const r = spawnSync("/bin/sh", ["-c", "basename \"$PWD\""], { cwd: "childdir", encoding: "utf8" });
console.log(r.status, r.stdout.trim());
