// fs: mkdirSync recursive creates nested dirs and is idempotent
const fs = require("node:fs");
const path = require("node:path");
const first = fs.mkdirSync("a/b/c", { recursive: true });
console.log(path.relative(process.cwd(), first));
console.log(fs.statSync("a/b/c").isDirectory());
console.log(fs.mkdirSync("a/b/c", { recursive: true }));
