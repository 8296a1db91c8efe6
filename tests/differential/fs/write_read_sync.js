// fs: writeFileSync then readFileSync with utf8 returns the same text
const fs = require("node:fs");
fs.writeFileSync("a.txt", "hello world\nline two");
console.log(JSON.stringify(fs.readFileSync("a.txt", "utf8")));
console.log(fs.readFileSync("a.txt", { encoding: "utf8" }).split("\n").length);
