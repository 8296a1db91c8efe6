// fs: multi-byte UTF-8 content keeps its byte length and characters
const fs = require("node:fs");
fs.writeFileSync("u.txt", "héllo wörld € 😀");
console.log(fs.statSync("u.txt").size);
console.log(fs.readFileSync("u.txt", "utf8"));
console.log(fs.readFileSync("u.txt", "latin1").length);
