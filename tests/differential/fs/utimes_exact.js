// fs: utimesSync sets atime/mtime that statSync reads back exactly
const fs = require("node:fs");
fs.writeFileSync("t.txt", "x");
fs.utimesSync("t.txt", 1000000000, new Date(1600000000000));
const st = fs.statSync("t.txt");
console.log(st.atimeMs, st.mtimeMs, st.mtime.toISOString());
