// fs: readdirSync lists entry names (sorted here for determinism)
const fs = require("node:fs");
fs.mkdirSync("d");
for (const n of ["c.txt", "a.txt", "b.txt"]) fs.writeFileSync("d/" + n, n);
fs.mkdirSync("d/sub");
console.log(fs.readdirSync("d").sort().join(","));
console.log(fs.readdirSync("d/sub").length);
