// fs: realpathSync resolves symlinks and dot segments
const fs = require("node:fs");
const path = require("node:path");
fs.mkdirSync("real/inner", { recursive: true });
fs.symlinkSync("real", "alias");
const r = fs.realpathSync("alias/inner/../inner");
console.log(path.relative(process.cwd(), r));
try { fs.realpathSync("alias/missing"); } catch (e) { console.log(e.code); }
