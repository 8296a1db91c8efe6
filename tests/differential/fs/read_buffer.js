// fs: readFileSync without encoding returns a Buffer of the raw bytes
const fs = require("node:fs");
fs.writeFileSync("b.bin", Buffer.from([0, 1, 2, 250, 255]));
const b = fs.readFileSync("b.bin");
console.log(Buffer.isBuffer(b), b.length, b.toString("hex"));
