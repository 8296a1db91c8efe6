// fs: rmdirSync on a file throws ENOTDIR; unlinkSync on a dir fails
const fs = require("node:fs");
fs.writeFileSync("f", "");
fs.mkdirSync("d");
try { fs.rmdirSync("f"); } catch (e) { console.log(e.code, e.syscall); }
try { fs.unlinkSync("d"); } catch (e) { console.log(e.code === "EISDIR" || e.code === "EPERM", e.syscall); }
