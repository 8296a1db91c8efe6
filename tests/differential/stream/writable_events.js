// stream: Writable emits finish before close; write returns true under highWaterMark
const { Writable } = require("node:stream");
const w = new Writable({ write(chunk, enc, cb) { setImmediate(cb); } });
console.log(w.write("a"), w.writable);
w.on("finish", () => console.log("finish"));
w.on("close", () => console.log("close"));
w.end("b", () => console.log("end callback"));
