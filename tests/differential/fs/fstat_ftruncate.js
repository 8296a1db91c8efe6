// fs: fstatSync and ftruncateSync work on an open descriptor
const fs = require("node:fs");
fs.writeFileSync("f.txt", "0123456789");
const fd = fs.openSync("f.txt", "r+");
console.log(fs.fstatSync(fd).size);
fs.ftruncateSync(fd, 4);
console.log(fs.fstatSync(fd).size);
fs.closeSync(fd);
console.log(fs.readFileSync("f.txt", "utf8"));
