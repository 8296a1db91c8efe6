// buffer: utf16le/ucs2 encode and decode
const b = Buffer.from("hi€", "utf16le");
console.log(b.length, b.toString("hex"), b.toString("ucs2"));
