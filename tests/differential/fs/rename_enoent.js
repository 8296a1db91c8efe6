// fs: renameSync of a missing source throws ENOENT with syscall rename
const fs = require("node:fs");
try { fs.renameSync("nope", "dest"); } catch (e) { console.log(e.code, e.syscall, e.path, e.dest); }
