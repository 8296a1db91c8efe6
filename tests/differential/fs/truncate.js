// fs: truncateSync shrinks a file and zero-fills when growing
const fs = require("node:fs");
fs.writeFileSync("t.bin", "abcdef");
fs.truncateSync("t.bin", 3);
console.log(fs.readFileSync("t.bin", "utf8"));
fs.truncateSync("t.bin", 5);
console.log(fs.readFileSync("t.bin").toString("hex"));
fs.truncateSync("t.bin");
console.log(fs.statSync("t.bin").size);
