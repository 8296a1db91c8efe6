// fs: renameSync replaces an existing destination file
const fs = require("node:fs");
fs.writeFileSync("a", "A");
fs.writeFileSync("b", "B");
fs.renameSync("a", "b");
console.log(fs.readFileSync("b", "utf8"), fs.existsSync("a"));
