// fs: readdirSync with recursive lists nested entries (Node 20)
const fs = require("node:fs");
fs.mkdirSync("r/a/b", { recursive: true });
fs.writeFileSync("r/top.txt", "");
fs.writeFileSync("r/a/b/leaf.txt", "");
console.log(fs.readdirSync("r", { recursive: true }).sort().join(","));
