// util: util.format with %s %d %i %f %j %%
const util = require("node:util");
console.log(util.format("%s is %d years and %i days, %f", "Bob", 42.5, 42.9, "1.5"));
console.log(util.format("%j and 100%%", { a: [1, 2] }));
console.log(util.format("extra", "args", 3, true));
console.log(util.format("%s", "only"), util.format("%d", "x"));
