// util: util.inspect of Map, Set, Date-free builtins and functions
const util = require("node:util");
console.log(util.inspect(new Map([["k", 1], ["j", { x: 2 }]])));
console.log(util.inspect(new Set([1, "a"])));
console.log(util.inspect(function named() {}), util.inspect(() => {}), util.inspect(class Foo {}));
console.log(util.inspect(/ab+c/gi), util.inspect(new Error("e").message));
