// buffer: buf.compare with ranges, variable-width int reads, toString with a start offset
const a = Buffer.from([1, 2, 3, 4, 5]), b = Buffer.from([3, 4]);
console.log(a.compare(b, 0, 2, 2, 4), a.readUIntBE(1, 3).toString(16), a.readIntLE(0, 2));
console.log(Buffer.from("abc").toString("utf8", 1), Buffer.from("€").toString("ascii").length);
