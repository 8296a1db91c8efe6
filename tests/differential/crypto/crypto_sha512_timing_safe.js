// crypto: sha512 known value, hash.copy and timingSafeEqual
const crypto = require("node:crypto");
console.log(crypto.createHash("sha512").update("abc").digest("hex").slice(0, 32));
const h = crypto.createHash("sha256").update("ab");
const copy = h.copy();
console.log(h.update("c").digest("hex").slice(0, 16), copy.digest("hex").slice(0, 16));
console.log(crypto.timingSafeEqual(Buffer.from("same"), Buffer.from("same")), crypto.timingSafeEqual(Buffer.from("same"), Buffer.from("diff")));
