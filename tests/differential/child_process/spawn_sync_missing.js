// child_process: spawnSync of a missing binary returns an ENOENT error object
const { spawnSync } = require("node:child_process");
const r = spawnSync("/definitely/not/a/binary");
console.log(r.error && r.error.code, r.status);
