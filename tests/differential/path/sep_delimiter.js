// path: path.sep, path.delimiter and path.posix identity
const path = require("node:path");
console.log(path.sep, path.delimiter, path.posix === path, typeof path.win32.join);
