// child_process: async spawn emits stdout data, then exit and close with the code
const { spawn } = require("node:child_process");
const child = spawn("/bin/sh", ["-c", "echo out; exit 4"]);
let out = "";
child.stdout.on("data", (d) => { out += d; });
child.on("exit", (code, signal) => console.log("exit", code, signal));
child.on("close", (code) => console.log("close", code, JSON.stringify(out)));
