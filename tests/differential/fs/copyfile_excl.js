// fs: copyFileSync with COPYFILE_EXCL refuses to overwrite (EEXIST)
const fs = require("node:fs");
fs.writeFileSync("a.txt", "a");
fs.writeFileSync("b.txt", "b");
try { fs.copyFileSync("a.txt", "b.txt", fs.constants.COPYFILE_EXCL); } catch (e) {
  console.log(e.code, e.syscall);
}
console.log(fs.readFileSync("b.txt", "utf8"));
