// path: path.join joins and normalises segments
const path = require("node:path");
console.log(path.join("a", "b", "c.txt"));
console.log(path.join("/a/", "/b/", "c"));
console.log(path.join("a", "..", "..", "b"));
console.log(JSON.stringify(path.join("")));
