// crypto: crypto.createHash('sha256') known digests in hex/base64
const crypto = require("node:crypto");
console.log(crypto.createHash("sha256").update("abc").digest("hex"));
console.log(crypto.createHash("sha256").update("").digest("base64"));
