// fs: rmSync on a directory without recursive throws ERR_FS_EISDIR
const fs = require("node:fs");
fs.mkdirSync("dir");
try { fs.rmSync("dir"); } catch (e) { console.log(e.code); }
console.log(fs.existsSync("dir"));
