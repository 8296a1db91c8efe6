// fs: existsSync reports files and directories, false for missing ones
const fs = require("node:fs");
fs.writeFileSync("here.txt", "x");
fs.mkdirSync("dir");
console.log(fs.existsSync("here.txt"), fs.existsSync("dir"), fs.existsSync("missing.txt"));
