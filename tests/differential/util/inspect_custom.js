// util: util.inspect.custom hook and class instance names
const util = require("node:util");
class Point { constructor() { this.x = 1; this.y = 2; } }
class Money { [util.inspect.custom]() { return "Money<5 EUR>"; } }
console.log(util.inspect(new Point()));
console.log(util.inspect(new Money()));
console.log(new Point());
