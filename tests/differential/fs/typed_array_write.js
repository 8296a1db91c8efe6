// fs: writeFileSync accepts Uint8Array and DataView; readSync into an offset
const fs = require("node:fs");
fs.writeFileSync("u8.bin", new Uint8Array([65, 66, 67]));
fs.writeFileSync("dv.bin", new DataView(new Uint8Array([68, 69]).buffer));
console.log(fs.readFileSync("u8.bin", "utf8"), fs.readFileSync("dv.bin", "utf8"));
const fd = fs.openSync("u8.bin", "r");
const buf = Buffer.alloc(6, 46);
console.log(fs.readSync(fd, buf, 2, 3, 0), buf.toString());
fs.closeSync(fd);
