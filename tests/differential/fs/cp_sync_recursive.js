// fs: cpSync recursive copies a directory tree
const fs = require("node:fs");
fs.mkdirSync("src/sub", { recursive: true });
fs.writeFileSync("src/a.txt", "A");
fs.writeFileSync("src/sub/b.txt", "B");
fs.cpSync("src", "dst", { recursive: true });
console.log(fs.readdirSync("dst").sort().join(","), fs.readFileSync("dst/sub/b.txt", "utf8"));
