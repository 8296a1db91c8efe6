// buffer: buf.copy into a target at offsets returns bytes copied
const src = Buffer.from("abcdef"), dst = Buffer.alloc(6, ".");
console.log(src.copy(dst, 2, 0, 3), dst.toString());
