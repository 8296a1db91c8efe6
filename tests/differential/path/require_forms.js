// path: require('path') and require('node:path') are the same object
console.log(require("path") === require("node:path"));
console.log(require("path/posix") === require("node:path").posix);
