// crypto: hash updates in chunks equal a single update; Buffer digest
const crypto = require("node:crypto");
const h = crypto.createHash("sha256");
h.update("hello "); h.update(Buffer.from("world"));
const d = h.digest();
console.log(Buffer.isBuffer(d), d.length, d.toString("hex") === crypto.createHash("sha256").update("hello world").digest("hex"));
