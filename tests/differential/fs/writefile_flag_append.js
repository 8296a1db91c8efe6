// fs: writeFileSync with flag 'a' appends instead of truncating
const fs = require("node:fs");
fs.writeFileSync("f.txt", "abc");
fs.writeFileSync("f.txt", "def", { flag: "a" });
console.log(fs.readFileSync("f.txt", "utf8"));
fs.writeFileSync("f.txt", "z");
console.log(fs.readFileSync("f.txt", "utf8"));
