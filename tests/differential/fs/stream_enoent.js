// fs: createReadStream of a missing file emits an error event with ENOENT
const fs = require("node:fs");
fs.createReadStream("nope.txt")
  .on("error", (e) => console.log("error", e.code, e.syscall))
  .on("data", () => console.log("data?"));
