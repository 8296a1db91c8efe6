// fs: chmodSync sets exact permission bits (independent of umask)
const fs = require("node:fs");
fs.writeFileSync("m.txt", "x");
fs.chmodSync("m.txt", 0o640);
console.log((fs.statSync("m.txt").mode & 0o777).toString(8), (fs.statSync("m.txt").mode & fs.constants.S_IFMT) === fs.constants.S_IFREG);
fs.chmodSync("m.txt", "755");
console.log((fs.statSync("m.txt").mode & 0o777).toString(8));
