// fs: readFileSync on a directory throws EISDIR
const fs = require("node:fs");
fs.mkdirSync("adir");
try { fs.readFileSync("adir"); } catch (e) { console.log(e.code, e.syscall); }
