// console: console.table of an array of objects
console.table([{ a: 1, b: "x" }, { a: 2, c: true }]);
console.table(["p", "q"]);
