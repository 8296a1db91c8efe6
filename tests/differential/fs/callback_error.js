// fs: callback-style readFile of a missing file passes an ENOENT error
const fs = require("node:fs");
fs.readFile("missing.txt", (err, data) => {
  console.log(err.code, err.syscall, err.path, data);
});
