// fs: closing a descriptor twice throws EBADF
const fs = require("node:fs");
const fd = fs.openSync("c.txt", "w");
fs.closeSync(fd);
try { fs.closeSync(fd); } catch (e) { console.log(e.code, e.syscall); }
