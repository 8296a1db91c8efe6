// fs: accessSync succeeds for existing files and throws ENOENT otherwise
const fs = require("node:fs");
fs.writeFileSync("ok.txt", "");
fs.accessSync("ok.txt");
fs.accessSync("ok.txt", fs.constants.R_OK | fs.constants.W_OK);
console.log("accessible");
try { fs.accessSync("nope.txt"); } catch (e) { console.log(e.code, e.syscall, e.path); }
