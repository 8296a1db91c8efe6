// fs: piping a read stream into a write stream copies the file
const fs = require("node:fs");
fs.writeFileSync("in.txt", "x".repeat(100000));
const r = fs.createReadStream("in.txt");
const w = fs.createWriteStream("out.txt");
r.pipe(w);
w.on("finish", () => {
  const out = fs.readFileSync("out.txt", "utf8");
  console.log(out.length, out === fs.readFileSync("in.txt", "utf8"));
});
