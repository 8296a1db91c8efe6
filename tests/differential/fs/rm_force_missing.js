// fs: rmSync force ignores a missing path; without force it throws ENOENT
const fs = require("node:fs");
fs.rmSync("nothing-here", { force: true });
console.log("force ok");
try { fs.rmSync("nothing-here"); } catch (e) { console.log(e.code); }
