// fs: mkdtempSync creates a fresh dir whose name starts with the prefix
const fs = require("node:fs");
const d = fs.mkdtempSync("tmp-");
console.log(d.startsWith("tmp-"), d.length, fs.statSync(d).isDirectory());
