// string_decoder: StringDecoder with hex and base64
const { StringDecoder } = require("node:string_decoder");
const h = new StringDecoder("hex");
console.log(JSON.stringify([h.write(Buffer.from("ab")), h.end()]));
const b = new StringDecoder("base64");
console.log(JSON.stringify([b.write(Buffer.from("ab")), b.end(Buffer.from("c"))]));
