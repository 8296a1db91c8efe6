// fs: rmSync on a symlink to a directory removes only the link
const fs = require("node:fs");
fs.mkdirSync("real");
fs.writeFileSync("real/keep.txt", "kept");
fs.symlinkSync("real", "link");
fs.rmSync("link", { recursive: true });
console.log(fs.existsSync("link"), fs.readFileSync("real/keep.txt", "utf8"));
