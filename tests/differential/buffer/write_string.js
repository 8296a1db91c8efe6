// buffer: buf.write returns bytes written and truncates
const b = Buffer.alloc(5);
console.log(b.write("hello world"), b.toString());
console.log(b.write("€", 3), b.toString("hex"));
