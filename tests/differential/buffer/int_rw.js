// buffer: integer read/write helpers in both endiannesses
const b = Buffer.alloc(8);
b.writeUInt32BE(0xdeadbeef, 0);
b.writeUInt16LE(0x1234, 4);
b.writeInt8(-2, 6);
console.log(b.toString("hex"));
console.log(b.readUInt32BE(0).toString(16), b.readUInt32LE(0).toString(16), b.readUInt16LE(4).toString(16), b.readInt8(6), b.readUInt8(6));
