// util: util.TextEncoder/TextDecoder are the globals
const util = require("node:util");
console.log(util.TextEncoder === TextEncoder, util.TextDecoder === TextDecoder);
console.log(Array.from(new util.TextEncoder().encode("é")).join(","));
