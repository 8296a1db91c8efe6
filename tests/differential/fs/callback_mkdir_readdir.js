// fs: callback mkdir/readdir/stat chain
const fs = require("node:fs");
fs.mkdir("cbdir/sub", { recursive: true }, (err) => {
  if (err) throw err;
  fs.writeFileSync("cbdir/f.txt", "abc");
  fs.readdir("cbdir", (err2, names) => {
    console.log(err2, names.sort().join(","));
    fs.stat("cbdir/f.txt", (err3, st) => console.log(err3, st.size, st.isFile()));
  });
});
