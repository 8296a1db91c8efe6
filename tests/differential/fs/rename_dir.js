// fs: renameSync moves a whole directory tree
const fs = require("node:fs");
fs.mkdirSync("old/inner", { recursive: true });
fs.writeFileSync("old/inner/f.txt", "deep");
fs.renameSync("old", "new");
console.log(fs.existsSync("old"), fs.readFileSync("new/inner/f.txt", "utf8"));
