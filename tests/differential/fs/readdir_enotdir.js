// fs: readdirSync on a file throws ENOTDIR with syscall scandir
const fs = require("node:fs");
fs.writeFileSync("f.txt", "x");
try { fs.readdirSync("f.txt"); } catch (e) { console.log(e.code, e.syscall, e.path); }
try { fs.readdirSync("nope"); } catch (e) { console.log(e.code, e.syscall, e.path); }
