// path: path.dirname of various paths
const path = require("node:path");
for (const s of ["/a/b/c", "/a/b/c/", "a", "/", "a/b", ""]) console.log(JSON.stringify(path.dirname(s)));
