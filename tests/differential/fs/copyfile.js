// fs: copyFileSync duplicates content; the copy is independent
const fs = require("node:fs");
fs.writeFileSync("orig.txt", "original");
fs.copyFileSync("orig.txt", "copy.txt");
fs.writeFileSync("orig.txt", "changed");
console.log(fs.readFileSync("copy.txt", "utf8"), fs.readFileSync("orig.txt", "utf8"));
