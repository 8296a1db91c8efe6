// util: util.inspect of primitive values
const util = require("node:util");
for (const v of [1, -0, "str", true, null, undefined, 10n, Symbol("s"), NaN, Infinity]) console.log(util.inspect(v));
