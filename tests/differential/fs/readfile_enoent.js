// fs: readFileSync on a missing file throws ENOENT with Node's message
const fs = require("node:fs");
try { fs.readFileSync("missing.txt", "utf8"); } catch (e) {
  console.log(e.code, e.syscall, e.path);
  console.log(e.message);
}
