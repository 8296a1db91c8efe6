// util: util.format %s/%o-free object formatting and console.log substitution
const util = require("node:util");
console.log(util.format("%s|%s|%s", null, undefined, 12n));
console.log(util.format("value:", { a: 1, b: "x" }, [1, 2]));
console.log("console %s %d", "subst", 7);
