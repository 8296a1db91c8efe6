// stream: a custom Readable with read()/push(null) and setEncoding
const { Readable } = require("node:stream");
let n = 0;
const r = new Readable({ read() { n += 1; this.push(n <= 3 ? "chunk" + n + ";" : null); } });
r.setEncoding("utf8");
let s = "";
r.on("data", (c) => { s += c; });
r.on("end", () => console.log(s, typeof s));
