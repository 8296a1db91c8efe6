// fs: openSync with 'wx' on an existing file throws EEXIST syscall open
const fs = require("node:fs");
fs.writeFileSync("x.txt", "");
try { fs.openSync("x.txt", "wx"); } catch (e) { console.log(e.code, e.syscall, e.path); }
try { fs.openSync("none.txt", "r"); } catch (e) { console.log(e.code, e.syscall, e.path); }
