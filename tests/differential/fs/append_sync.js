// fs: appendFileSync creates then extends a file
const fs = require("node:fs");
fs.appendFileSync("log.txt", "one\n");
fs.appendFileSync("log.txt", "two\n");
fs.appendFileSync("log.txt", Buffer.from("three\n"));
console.log(JSON.stringify(fs.readFileSync("log.txt", "utf8")));
