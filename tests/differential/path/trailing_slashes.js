// path: trailing slashes in dirname/basename/normalize
const path = require("node:path");
console.log(path.basename("a/b///"), path.dirname("a/b///"), path.normalize("a/b///"));
