// util: util.deprecate wraps a function and still calls it (warning goes to stderr)
const util = require("node:util");
const f = util.deprecate((x) => x + 1, "f is deprecated", "DEP_TEST");
console.log(f(1), f(2));
