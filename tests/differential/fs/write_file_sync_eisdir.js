// fs: writeFileSync onto a directory throws EISDIR
const fs = require("node:fs");
fs.mkdirSync("adir");
try { fs.writeFileSync("adir", "x"); } catch (e) { console.log(e.code, e.syscall, e.path); }
