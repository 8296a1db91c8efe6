// buffer: swap16 and reverse
const b = Buffer.from([1, 2, 3, 4]);
console.log(b.swap16().toString("hex"));
console.log(Buffer.from([1, 2, 3]).reverse().toString("hex"));
try { Buffer.from([1, 2, 3]).swap16(); } catch (e) { console.log(e.code); }
