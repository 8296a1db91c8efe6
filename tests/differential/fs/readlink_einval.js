// fs: readlinkSync on a regular file throws EINVAL
const fs = require("node:fs");
fs.writeFileSync("plain.txt", "x");
try { fs.readlinkSync("plain.txt"); } catch (e) { console.log(e.code, e.syscall, e.path); }
