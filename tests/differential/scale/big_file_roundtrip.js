// scale: a 5 MiB file written and read back intact (text and binary)
const fs = require("node:fs");
const crypto = require("node:crypto");
const text = "0123456789abcdef".repeat(5 * 65536);
fs.writeFileSync("big.txt", text);
const back = fs.readFileSync("big.txt", "utf8");
console.log(back.length, back === text);
const bin = Buffer.alloc(5 * 2 ** 20, 7);
fs.writeFileSync("big.bin", bin);
console.log(crypto.createHash("sha256").update(fs.readFileSync("big.bin")).digest("hex").slice(0, 16));
