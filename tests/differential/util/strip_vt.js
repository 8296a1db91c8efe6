// util: util.stripVTControlCharacters and util.toUSVString
const util = require("node:util");
console.log(JSON.stringify(util.stripVTControlCharacters("\u001b[31mred\u001b[0m")));
console.log(util.toUSVString("a\ud800b") === "a\ufffdb");
