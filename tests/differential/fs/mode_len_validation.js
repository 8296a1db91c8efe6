// fs: mode (octal string or uint32) and len arguments are validated as Node does, thrown synchronously
const fs = require("fs");
fs.writeFileSync("m.txt", "hello world");
const tries = [
  ["open mode 'boom'", () => fs.open("m.txt", "r", "boom", () => console.log("callback ran"))],
  ["openSync mode 1.5", () => fs.openSync("m.txt", "r", 1.5)],
  ["openSync mode -1", () => fs.openSync("m.txt", "r", -1)],
  ["openSync mode {}", () => fs.openSync("m.txt", "r", {})],
  ["chmodSync no mode", () => fs.chmodSync("m.txt")],
  ["chmodSync '0644'", () => { fs.chmodSync("m.txt", "0644"); return (fs.statSync("m.txt").mode & 0o777).toString(8); }],
  ["chmodSync '8'", () => fs.chmodSync("m.txt", "8")],
  ["truncate len ''", () => fs.truncate("m.txt", "", () => console.log("callback ran"))],
  ["truncateSync len 1.5", () => fs.truncateSync("m.txt", 1.5)],
  ["truncateSync len null", () => fs.truncateSync("m.txt", null)],
  ["truncateSync len 5", () => { fs.truncateSync("m.txt", 5); return fs.readFileSync("m.txt", "utf8"); }],
  ["ftruncateSync len []", () => { const fd = fs.openSync("m.txt", "r+"); try { fs.ftruncateSync(fd, []); } finally { fs.closeSync(fd); } }],
];
for (const [name, fn] of tries) {
  try { console.log(name, "->", fn()); }
  catch (e) { console.log(name, "threw", e.name, e.code, e.message); }
}
