// fs: callback rename and unlink, then exists check
const fs = require("node:fs");
fs.writeFileSync("a.txt", "A");
fs.rename("a.txt", "b.txt", (err) => {
  console.log("rename", err);
  fs.unlink("b.txt", (err2) => {
    console.log("unlink", err2, fs.existsSync("b.txt"));
  });
});
