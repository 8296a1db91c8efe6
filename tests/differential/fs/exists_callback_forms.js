// fs: fs.exists (deprecated callback form) and fs.access callback
const fs = require("node:fs");
fs.writeFileSync("e.txt", "");
fs.exists("e.txt", (yes) => {
  console.log("exists", yes);
  fs.access("missing", (err) => console.log("access", err.code));
});
