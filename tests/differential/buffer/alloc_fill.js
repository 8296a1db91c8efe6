// buffer: Buffer.alloc zeroes, fill with numbers and strings
console.log(Buffer.alloc(4).toString("hex"));
console.log(Buffer.alloc(5, "ab").toString());
console.log(Buffer.alloc(3, 255).toString("hex"));
const x = Buffer.alloc(6); x.fill("xy", 1, 5); console.log(x.toString("hex"));
