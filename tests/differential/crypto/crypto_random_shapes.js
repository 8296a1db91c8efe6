// crypto: randomBytes/randomUUID shapes only (values are random)
const crypto = require("node:crypto");
console.log(crypto.randomBytes(16).length, /^[0-9a-f-]{36}$/.test(crypto.randomUUID()));
console.log(typeof crypto.getRandomValues, globalThis.crypto.getRandomValues(new Uint8Array(4)).length);
