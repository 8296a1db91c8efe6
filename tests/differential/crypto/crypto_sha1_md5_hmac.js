// crypto: sha1, md5 and HMAC-SHA256 known values
const crypto = require("node:crypto");
console.log(crypto.createHash("sha1").update("abc").digest("hex"));
console.log(crypto.createHash("md5").update("abc").digest("hex"));
console.log(crypto.createHmac("sha256", "key").update("The quick brown fox jumps over the lazy dog").digest("hex"));
