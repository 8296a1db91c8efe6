// fs: mkdirSync under a file throws ENOTDIR; recursive under a file too
const fs = require("node:fs");
fs.writeFileSync("file", "");
try { fs.mkdirSync("file/sub"); } catch (e) { console.log(e.code, e.syscall); }
try { fs.mkdirSync("file/sub/deeper", { recursive: true }); } catch (e) { console.log(e.code, e.syscall); }
