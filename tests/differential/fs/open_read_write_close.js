// fs: openSync/writeSync/readSync/closeSync on file descriptors
const fs = require("node:fs");
const fd = fs.openSync("fd.txt", "w");
console.log(typeof fd);
console.log(fs.writeSync(fd, "hello "), fs.writeSync(fd, Buffer.from("fd")));
fs.closeSync(fd);
const rfd = fs.openSync("fd.txt", "r");
const buf = Buffer.alloc(20);
const n = fs.readSync(rfd, buf, 0, 20, 0);
console.log(n, buf.toString("utf8", 0, n));
console.log(fs.readSync(rfd, buf, 0, 20, null));
fs.closeSync(rfd);
