// fs: statSync gives size and type predicates for files and dirs
const fs = require("node:fs");
fs.writeFileSync("s.txt", "12345678");
fs.mkdirSync("dd");
const s = fs.statSync("s.txt");
console.log(s.size, s.isFile(), s.isDirectory(), s.isSymbolicLink(), s.nlink);
const d = fs.statSync("dd");
console.log(d.isFile(), d.isDirectory());
console.log(typeof s.mtimeMs, s.mtime instanceof Date);
