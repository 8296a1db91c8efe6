// fs: statSync bigint option and Stats/Dirent classes
const fs = require("node:fs");
fs.writeFileSync("s", "abc");
const st = fs.statSync("s", { bigint: true });
console.log(typeof st.size, st.size, st.isFile());
console.log(fs.statSync("s") instanceof fs.Stats, fs.readdirSync(".", { withFileTypes: true })[0] instanceof fs.Dirent);
