// buffer: subarray/slice share memory with the parent
const b = Buffer.from("hello");
const s = b.subarray(1, 3);
s[0] = 0x45;
console.log(b.toString(), s.toString());
const t = b.slice(-2); console.log(t.toString());
