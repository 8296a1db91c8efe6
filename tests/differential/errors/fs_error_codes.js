// errors: fs errors expose code/errno/syscall/path as own enumerable fields
const fs = require("node:fs");
try { fs.readFileSync("nope"); } catch (e) {
  console.log(Object.keys(e).sort().join(","));
  console.log(e.name, e.code, e.errno, e.syscall, e.path);
}
