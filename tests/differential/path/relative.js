// path: path.relative between absolute paths
const path = require("node:path");
console.log(path.relative("/data/orandea/test/aaa", "/data/orandea/impl/bbb"));
console.log(JSON.stringify(path.relative("/a/b", "/a/b")));
console.log(path.relative("/a/b", "/a/b/c/d"));
console.log(path.relative("/a/b/c", "/a"));
