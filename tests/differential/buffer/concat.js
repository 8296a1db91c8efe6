// buffer: Buffer.concat with and without a total length
const a = Buffer.from("abc"), c = Buffer.from("def");
console.log(Buffer.concat([a, c]).toString());
console.log(Buffer.concat([a, c], 4).toString());
console.log(Buffer.concat([]).length);
