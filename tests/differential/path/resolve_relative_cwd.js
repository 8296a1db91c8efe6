// path: path.resolve of relative paths is rooted at process.cwd()
const path = require("node:path");
const r = path.resolve("x/y", "../z");
console.log(path.isAbsolute(r), path.relative(process.cwd(), r));
console.log(path.resolve() === process.cwd());
