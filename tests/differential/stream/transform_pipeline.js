// stream: stream.pipeline through a Transform that upper-cases
const { Readable, Transform, Writable, pipeline } = require("node:stream");
let out = "";
pipeline(
  Readable.from(["hello ", "stream"]),
  new Transform({ transform(chunk, enc, cb) { cb(null, chunk.toString().toUpperCase()); } }),
  new Writable({ write(chunk, enc, cb) { out += chunk; cb(); } }),
  (err) => console.log("done", err === undefined ? "undefined" : err, out),
);
