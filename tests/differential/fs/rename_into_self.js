// fs: renaming a directory into its own subdirectory throws EINVAL
const fs = require("node:fs");
fs.mkdirSync("p/q", { recursive: true });
try { fs.renameSync("p", "p/q/r"); } catch (e) { console.log(e.code, e.syscall); }
console.log(fs.existsSync("p/q"));
