// module: CommonJS require cycles see partially initialised exports
const fs = require("node:fs");
const path = require("node:path");
fs.writeFileSync("a.js", "exports.loaded = false; const b = require('./b.js'); console.log('in a, b.loaded =', b.loaded); exports.loaded = true;");
fs.writeFileSync("b.js", "exports.loaded = false; const a = require('./a.js'); console.log('in b, a.loaded =', a.loaded); exports.loaded = true;");
const a = require(path.join(process.cwd(), "a.js"));
console.log("main", a.loaded);
