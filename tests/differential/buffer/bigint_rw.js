// buffer: 64-bit BigInt read/write
const b = Buffer.alloc(8);
b.writeBigUInt64LE(2n ** 63n + 5n);
console.log(b.toString("hex"), b.readBigUInt64LE(), b.readBigInt64LE());
