// buffer: Buffer.from string with utf8 and its byte length
const b = Buffer.from("héllo");
console.log(b.length, b.toString("hex"), b.toString());
console.log(Buffer.byteLength("€uro"), Buffer.byteLength("abc", "base64"));
