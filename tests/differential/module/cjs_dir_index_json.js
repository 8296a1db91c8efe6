// module: require of a directory with package.json main and of a .json file
const fs = require("node:fs");
const path = require("node:path");
fs.mkdirSync("node_modules/pkg/lib", { recursive: true });
fs.writeFileSync("node_modules/pkg/package.json", JSON.stringify({ name: "pkg", main: "lib/entry.js" }));
fs.writeFileSync("node_modules/pkg/lib/entry.js", "module.exports = { from: 'pkg main' };");
fs.mkdirSync("dirmod");
fs.writeFileSync("dirmod/index.js", "module.exports = 'index of dir';");
console.log(require(path.join(process.cwd(), "node_modules/pkg")).from);
console.log(require(path.join(process.cwd(), "dirmod")));
