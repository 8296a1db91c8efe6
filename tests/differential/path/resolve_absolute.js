// path: path.resolve with absolute arguments does not depend on cwd
const path = require("node:path");
console.log(path.resolve("/foo/bar", "./baz"));
console.log(path.resolve("/foo/bar", "/tmp/file/"));
console.log(path.resolve("/a", "b", "../c", "d/"));
