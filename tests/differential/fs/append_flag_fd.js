// fs: openSync with 'a' always appends regardless of position
const fs = require("node:fs");
fs.writeFileSync("a.txt", "start-");
const fd = fs.openSync("a.txt", "a");
fs.writeSync(fd, "end", 0);
fs.closeSync(fd);
console.log(fs.readFileSync("a.txt", "utf8"));
