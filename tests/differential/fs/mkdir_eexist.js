// fs: mkdirSync on an existing dir throws EEXIST with syscall and path
const fs = require("node:fs");
fs.mkdirSync("d");
try { fs.mkdirSync("d"); } catch (e) {
  console.log(e.code, e.syscall, e.path, e.errno, e instanceof Error);
}
