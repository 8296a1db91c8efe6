// fs: readv/writev (sync, callback, promises) gather and scatter at a position
const fs = require("fs");
const f = "rv.txt";
const fd = fs.openSync(f, "w+");
console.log(fs.writevSync(fd, [Buffer.from("hello "), Buffer.from("vector "), new Uint8Array([119, 111, 114, 108, 100])]));
const a = Buffer.alloc(6), b = Buffer.alloc(7), c = Buffer.alloc(10);
console.log(fs.readvSync(fd, [a, b, c], 0), a.toString(), b.toString(), c.toString("utf8", 0, 5));
console.log(fs.writevSync(fd, [Buffer.from("W")], 6), fs.readFileSync(f, "utf8"));
fs.writev(fd, [Buffer.from("!!")], 18, (err, n, bufs) => {
  console.log("writev cb", err, n, bufs.length);
  const x = Buffer.alloc(4);
  fs.readv(fd, [x], 16, (err2, m) => {
    console.log("readv cb", err2, m, x.toString());
    fs.closeSync(fd);
    fs.promises.open(f, "r").then(async (h) => {
      const y = Buffer.alloc(5);
      const r = await h.readv([y], 0);
      console.log("promises readv", r.bytesRead, y.toString());
      await h.close();
      try { fs.readvSync(1.5, []); } catch (e) { console.log(e.code); }
      try { fs.writevSync(fd, "nope"); } catch (e) { console.log(e.code, e.message); }
    });
  });
});
