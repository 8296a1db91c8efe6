// child_process: files written by a child process are visible to the script and vice versa
const fs = require("node:fs");
const { execFileSync } = require("node:child_process");
fs.writeFileSync("from-parent.txt", "parent data");
console.log(execFileSync("/bin/cat", ["from-parent.txt"], { encoding: "utf8" }));
execFileSync("/bin/sh", ["-c", "echo child data > from-child.txt"]);
console.log(fs.existsSync("from-child.txt") && fs.readFileSync("from-child.txt", "utf8").trim());
