// fs: symlinkSync + readlinkSync return the link target; reads follow the link
const fs = require("node:fs");
fs.writeFileSync("target.txt", "through link");
fs.symlinkSync("target.txt", "link.txt");
console.log(fs.readlinkSync("link.txt"));
console.log(fs.readFileSync("link.txt", "utf8"));
