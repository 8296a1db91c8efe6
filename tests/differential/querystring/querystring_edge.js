// querystring: querystring with empty values and prototypes
const qs = require("node:querystring");
const o = qs.parse("__proto__=1&toString=2&=3");
console.log(Object.keys(o).join(","), Object.getPrototypeOf(o) === null);
console.log(JSON.stringify(qs.stringify({ n: null, u: undefined, z: 0 })));
