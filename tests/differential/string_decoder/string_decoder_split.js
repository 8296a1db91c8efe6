// string_decoder: StringDecoder joins multi-byte characters split across chunks
const { StringDecoder } = require("node:string_decoder");
const d = new StringDecoder("utf8");
const euro = Buffer.from("€");
console.log(JSON.stringify(d.write(euro.subarray(0, 1))), JSON.stringify(d.write(euro.subarray(1))));
console.log(JSON.stringify(d.end(Buffer.from([0xe2]))));
