// console: console.count/countReset and console.assert (failure text goes to stderr)
console.count(); console.count(); console.count("x"); console.countReset(); console.count();
console.assert(true, "not printed");
console.assert(false, "printed to stderr");
console.log("after assert");
