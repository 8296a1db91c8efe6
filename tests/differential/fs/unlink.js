// fs: unlinkSync removes a file; a second unlink throws ENOENT
const fs = require("node:fs");
fs.writeFileSync("u.txt", "x");
fs.unlinkSync("u.txt");
console.log(fs.existsSync("u.txt"));
try { fs.unlinkSync("u.txt"); } catch (e) { console.log(e.code, e.syscall, e.path); }
