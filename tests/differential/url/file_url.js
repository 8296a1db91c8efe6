// url: file URLs and url.fileURLToPath / pathToFileURL with absolute paths
const url = require("node:url");
console.log(new URL("file:///tmp/some%20file.txt").pathname);
console.log(url.fileURLToPath("file:///tmp/some%20file.txt"));
console.log(url.pathToFileURL("/tmp/a b#c.txt").href);
