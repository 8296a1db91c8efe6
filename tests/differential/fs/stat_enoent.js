// fs: statSync on a missing path throws ENOENT with errno, syscall, path, message
const fs = require("node:fs");
try { fs.statSync("ghost.txt"); } catch (e) {
  console.log(e.code, e.errno, e.syscall, e.path);
  console.log(e.message);
}
console.log(fs.statSync("ghost.txt", { throwIfNoEntry: false }));
