// path: path.basename with and without an extension argument
const path = require("node:path");
console.log(path.basename("/quux/file.html"));
console.log(path.basename("/quux/file.html", ".html"));
console.log(path.basename("/quux/dir/"));
console.log(path.basename("file.html", "html"));
console.log(JSON.stringify(path.basename("/")));
