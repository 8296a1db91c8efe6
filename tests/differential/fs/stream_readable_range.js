// fs: createReadStream with start/end reads an inclusive byte range
const fs = require("node:fs");
fs.writeFileSync("r.txt", "0123456789");
let s = "";
fs.createReadStream("r.txt", { start: 2, end: 5 })
  .on("data", (c) => { s += c.toString(); })
  .on("end", () => console.log(s));
