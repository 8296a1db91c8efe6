// child_process: execSync runs through /bin/sh and returns stdout
const { execSync } = require("node:child_process");
console.log(JSON.stringify(execSync("printf '%s-%s' a b").toString()));
try { execSync("exit 5", { stdio: "pipe" }); } catch (e) { console.log("status", e.status); }
