// fs: readdirSync withFileTypes returns Dirents with name and type predicates
const fs = require("node:fs");
fs.mkdirSync("d");
fs.writeFileSync("d/file.txt", "x");
fs.mkdirSync("d/folder");
const ents = fs.readdirSync("d", { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
for (const e of ents) console.log(e.name, e.isFile(), e.isDirectory(), e.isSymbolicLink());
