// process: process.chdir changes cwd; relative fs paths follow it
const fs = require("node:fs");
const path = require("node:path");
const start = process.cwd();
fs.mkdirSync("sub");
process.chdir("sub");
console.log(path.relative(start, process.cwd()));
fs.writeFileSync("inner.txt", "x");
process.chdir("..");
console.log(process.cwd() === start, fs.existsSync("sub/inner.txt"));
try { process.chdir("does/not/exist"); } catch (e) { console.log(e.code, e.syscall); }
