// fs: a symlink loop makes stat throw ELOOP
const fs = require("node:fs");
fs.symlinkSync("b", "a");
fs.symlinkSync("a", "b");
try { fs.statSync("a"); } catch (e) { console.log(e.code, e.syscall); }
console.log(fs.lstatSync("a").isSymbolicLink());
