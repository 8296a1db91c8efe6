// querystring: querystring.stringify and escape/unescape
const qs = require("node:querystring");
console.log(qs.stringify({ a: [1, 2], b: "x y", c: "é&" }));
console.log(qs.escape("a b&c"), qs.unescape("a%20b"));
