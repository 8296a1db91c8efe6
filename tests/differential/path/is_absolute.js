// path: path.isAbsolute
const path = require("node:path");
console.log(["/foo/bar", "/baz/..", "qux/", ".", "", "//x"].map((s) => path.isAbsolute(s)).join(","));
