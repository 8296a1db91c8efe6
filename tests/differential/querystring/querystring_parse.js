// querystring: querystring.parse handles repeats and decoding
const qs = require("node:querystring");
console.log(JSON.stringify(qs.parse("a=1&b=2&a=3&c=%20x+y&d")));
console.log(JSON.stringify(qs.parse("w:1;x:2", ";", ":")));
