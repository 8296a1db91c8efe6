// path: path functions chained: parse + format round-trip
const path = require("node:path");
for (const s of ["/x/y/z.tar.gz", "a/b", "/only"]) console.log(path.format(path.parse(s)) === s);
