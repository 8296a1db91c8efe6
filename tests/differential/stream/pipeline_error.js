// stream: pipeline reports a Transform error to the callback
const { Readable, Transform, Writable, pipeline } = require("node:stream");
pipeline(
  Readable.from(["ok", "bad"]),
  new Transform({ transform(c, e, cb) { c.toString() === "bad" ? cb(new Error("transform failed")) : cb(null, c); } }),
  new Writable({ write(c, e, cb) { console.log("wrote", c.toString()); cb(); } }),
  (err) => console.log("callback", err && err.message),
);
