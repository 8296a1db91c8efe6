// fs: readFileSync/writeFileSync with base64, hex and latin1 encodings
const fs = require("node:fs");
fs.writeFileSync("b64.bin", "aGVsbG8=", "base64");
console.log(fs.readFileSync("b64.bin", "utf8"), fs.readFileSync("b64.bin", "hex"), fs.readFileSync("b64.bin", { encoding: "base64" }));
fs.writeFileSync("l1.txt", "caf\u00e9", { encoding: "latin1" });
console.log(fs.statSync("l1.txt").size, fs.readFileSync("l1.txt", "latin1"));
