// path: path.extname edge cases (dotfiles, trailing dot, multiple dots)
const path = require("node:path");
for (const s of ["index.html", "index.coffee.md", "index.", "index", ".index", ".index.md", "a/b.c/d"]) {
  console.log(JSON.stringify(s), JSON.stringify(path.extname(s)));
}
