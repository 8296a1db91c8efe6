// fs: rmSync recursive removes a whole tree
const fs = require("node:fs");
fs.mkdirSync("t/a/b", { recursive: true });
fs.writeFileSync("t/a/b/f.txt", "x");
fs.writeFileSync("t/top.txt", "y");
fs.rmSync("t", { recursive: true });
console.log(fs.existsSync("t"));
