// fs: renameSync moves a file between directories
const fs = require("node:fs");
fs.mkdirSync("src"); fs.mkdirSync("dst");
fs.writeFileSync("src/f.txt", "moved");
fs.renameSync("src/f.txt", "dst/g.txt");
console.log(fs.existsSync("src/f.txt"), fs.readFileSync("dst/g.txt", "utf8"));
