// module: CommonJS wrapper: module, exports, __filename shape, require.cache of self
const path = require("node:path");
console.log(typeof module, module.exports === exports, path.basename(__filename), path.basename(__dirname) !== "");
console.log(require.main === module, typeof require.resolve);
