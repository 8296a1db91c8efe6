// fs: a JSON document written and read back parses to the same value
const fs = require("node:fs");
const data = { name: "plugin", list: [1, 2, 3], nested: { ok: true, none: null } };
fs.writeFileSync("data.json", JSON.stringify(data, null, 2));
const back = JSON.parse(fs.readFileSync("data.json", "utf8"));
console.log(JSON.stringify(back));
console.log(fs.statSync("data.json").size);
