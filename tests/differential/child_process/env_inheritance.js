// child_process: children inherit the parent's env by default, including variables set at run time
const { execFileSync } = require("node:child_process");
process.env.SET_AT_RUNTIME = "runtime-value";
console.log(execFileSync("/bin/sh", ["-c", "echo $DIFF_VAR/$SET_AT_RUNTIME"], { encoding: "utf8" }).trim());
