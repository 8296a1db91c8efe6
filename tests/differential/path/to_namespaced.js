// path: path.toNamespacedPath is the identity on POSIX
const path = require("node:path");
console.log(path.toNamespacedPath("/a/b"), path.toNamespacedPath("rel"));
