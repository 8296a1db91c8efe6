// fs: rmdirSync on a non-empty dir throws ENOTEMPTY; empty dir is removed
const fs = require("node:fs");
fs.mkdirSync("full");
fs.writeFileSync("full/x", "1");
try { fs.rmdirSync("full"); } catch (e) { console.log(e.code, e.syscall, e.path); }
fs.mkdirSync("empty");
fs.rmdirSync("empty");
console.log(fs.existsSync("empty"));
