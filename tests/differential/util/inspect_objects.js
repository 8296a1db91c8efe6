// util: util.inspect of plain objects, arrays and nesting
const util = require("node:util");
console.log(util.inspect({ a: 1, b: "two", c: [1, 2, 3] }));
console.log(util.inspect({ deep: { deeper: { deepest: { bottom: 1 } } } }));
console.log(util.inspect({ deep: { deeper: { deepest: { bottom: 1 } } } }, { depth: 0 }));
console.log(util.inspect([]), util.inspect({}), util.inspect([1, [2, [3, [4, [5]]]]]));
