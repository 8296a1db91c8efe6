// fs: readFileSync with flag r+ works; fs.constants has the usual open flags
const fs = require("node:fs");
fs.writeFileSync("x.txt", "abc");
console.log(fs.readFileSync("x.txt", { encoding: "utf8", flag: "r+" }));
const c = fs.constants;
console.log(c.O_RDONLY, c.O_WRONLY, c.O_RDWR, typeof c.O_CREAT, c.F_OK, c.R_OK, c.W_OK, c.X_OK);
