// console: errors shown through String() and plain fields (stack text is engine-specific, not printed)
const e = new RangeError("shown");
console.log(String(e));
console.log({ err: e.message, name: e.name });
console.log([new Error("x").message]);
