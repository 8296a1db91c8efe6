// buffer: float and double read/write
const b = Buffer.alloc(12);
b.writeDoubleLE(3.141592653589793, 0);
b.writeFloatBE(1.5, 8);
console.log(b.toString("hex"));
console.log(b.readDoubleLE(0), b.readFloatBE(8));
