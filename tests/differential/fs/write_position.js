// fs: writeSync at an explicit position overwrites in place
const fs = require("node:fs");
fs.writeFileSync("p.txt", "0123456789");
const fd = fs.openSync("p.txt", "r+");
fs.writeSync(fd, "AB", 4);
fs.closeSync(fd);
console.log(fs.readFileSync("p.txt", "utf8"));
