// child_process: execFileSync throws on non-zero exit with status and stdout
const cp = require("node:child_process");
try { cp.execFileSync("/bin/sh", ["-c", "echo partial; exit 3"], { stdio: "pipe" }); } catch (e) {
  console.log("threw", e.status, JSON.stringify(e.stdout.toString()));
}
