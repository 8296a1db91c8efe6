// path: path.normalize removes duplicate slashes and dots, keeps trailing slash
const path = require("node:path");
console.log(path.normalize("/foo/bar//baz/asdf/quux/.."));
console.log(path.normalize("a//b/./c/"));
console.log(path.normalize(""));
console.log(path.normalize("../../x"));
