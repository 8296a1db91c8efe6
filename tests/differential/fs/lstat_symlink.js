// fs: lstatSync sees the link itself, statSync the target
const fs = require("node:fs");
fs.mkdirSync("d");
fs.symlinkSync("d", "ln");
console.log(fs.lstatSync("ln").isSymbolicLink(), fs.lstatSync("ln").isDirectory());
console.log(fs.statSync("ln").isSymbolicLink(), fs.statSync("ln").isDirectory());
