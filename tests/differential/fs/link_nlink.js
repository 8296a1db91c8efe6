// fs: linkSync makes a hard link sharing content; nlink counts both
const fs = require("node:fs");
fs.writeFileSync("one.txt", "shared");
fs.linkSync("one.txt", "two.txt");
console.log(fs.statSync("one.txt").nlink, fs.statSync("two.txt").nlink);
fs.writeFileSync("two.txt", "updated");
console.log(fs.readFileSync("one.txt", "utf8"));
fs.unlinkSync("one.txt");
console.log(fs.statSync("two.txt").nlink, fs.readFileSync("two.txt", "utf8"));
