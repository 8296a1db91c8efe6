// buffer: Buffer.compare, equals and sort order
const a = Buffer.from("abc"), b = Buffer.from("abd");
console.log(Buffer.compare(a, b), Buffer.compare(b, a), a.compare(a), a.equals(Buffer.from("abc")));
console.log([b, a].sort(Buffer.compare).map(String).join(","));
