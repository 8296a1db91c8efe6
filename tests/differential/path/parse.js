// path: path.parse splits root/dir/base/ext/name
const path = require("node:path");
console.log(JSON.stringify(path.parse("/home/user/dir/file.txt")));
console.log(JSON.stringify(path.parse("rel/file")));
console.log(JSON.stringify(path.parse("/")));
