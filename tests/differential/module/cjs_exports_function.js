// module: module.exports replaced by a function; require.resolve of a relative file
const fs = require("node:fs");
const path = require("node:path");
fs.writeFileSync("fn.js", "module.exports = function add(a, b) { return a + b; }; module.exports.tag = 'fn';");
const add = require("./" + path.relative(__dirname, path.join(process.cwd(), "fn.js")));
console.log(typeof add, add(2, 3), add.tag, add.name);
