// fs: opendirSync iterates entries and closes
const fs = require("node:fs");
fs.mkdirSync("od");
fs.writeFileSync("od/one", ""); fs.writeFileSync("od/two", "");
const dir = fs.opendirSync("od");
const names = [];
let ent;
while ((ent = dir.readSync()) !== null) names.push(ent.name);
dir.closeSync();
console.log(names.sort().join(","));
