// stream: stream/promises pipeline resolves after the sink finishes
const { pipeline } = require("node:stream/promises");
const { Readable, Writable } = require("node:stream");
const seen = [];
pipeline(Readable.from(["x", "y"]), new Writable({ objectMode: true, write(c, e, cb) { seen.push(c); cb(); } }))
  .then(() => console.log("resolved", seen.join("")));
