// fs: mkdirSync without recursive fails with ENOENT when the parent is missing
const fs = require("node:fs");
try { fs.mkdirSync("no/such/parent"); } catch (e) {
  console.log(e.code, e.syscall, e.path);
}
