// module: require of a local CommonJS file written at runtime, cached between requires
const fs = require("node:fs");
const path = require("node:path");
fs.writeFileSync("mod.js", "exports.n = (exports.n || 0) + 1; exports.hi = () => 'hi from mod';");
const p = path.join(process.cwd(), "mod.js");
const a = require(p), b = require(p);
console.log(a.hi(), a === b, a.n);
fs.writeFileSync("data.json", JSON.stringify({ v: 1 }));
console.log(require(path.join(process.cwd(), "data.json")).v);
