// fs: a dangling symlink: lstat works, stat and read throw ENOENT
const fs = require("node:fs");
fs.symlinkSync("does-not-exist", "dangle");
console.log(fs.lstatSync("dangle").isSymbolicLink());
try { fs.statSync("dangle"); } catch (e) { console.log(e.code); }
console.log(fs.existsSync("dangle"));
