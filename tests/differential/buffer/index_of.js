// buffer: indexOf/lastIndexOf/includes with strings, bytes and buffers
const b = Buffer.from("this is a buffer is");
console.log(b.indexOf("is"), b.lastIndexOf("is"), b.indexOf(Buffer.from("a b")), b.indexOf(0x62), b.includes("zzz"));
console.log(b.indexOf("is", 6));
