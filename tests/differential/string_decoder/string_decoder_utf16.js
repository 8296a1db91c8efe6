// string_decoder: StringDecoder utf16le keeps half code units and surrogate pairs for the next write
const { StringDecoder } = require("node:string_decoder");
const d = new StringDecoder("utf16le");
const bytes = Buffer.from("a😀", "utf16le");
console.log(JSON.stringify(d.write(bytes.subarray(0, 3))), JSON.stringify(d.write(bytes.subarray(3))));
console.log(d.encoding, JSON.stringify(new StringDecoder().encoding));
