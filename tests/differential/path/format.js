// path: path.format builds a path from parts (base wins over name+ext)
const path = require("node:path");
console.log(path.format({ root: "/ignored", dir: "/home/user/dir", base: "file.txt" }));
console.log(path.format({ root: "/", base: "file.txt", ext: "ignored" }));
console.log(path.format({ root: "/", name: "file", ext: ".txt" }));
console.log(path.format({ name: "x", ext: "js" }));
