// util: util.promisify.custom and promisified setTimeout
const util = require("node:util");
function f() {}
f[util.promisify.custom] = () => Promise.resolve("custom!");
util.promisify(f)().then((v) => console.log(v));
util.promisify(setTimeout)(1, "timer value").then((v) => console.log(v));
