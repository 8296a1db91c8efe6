// crypto: webcrypto subtle.digest SHA-256 matches createHash
const crypto = require("node:crypto");
crypto.webcrypto.subtle.digest("SHA-256", new TextEncoder().encode("abc")).then((buf) => {
  console.log(Buffer.from(buf).toString("hex") === crypto.createHash("sha256").update("abc").digest("hex"));
});
