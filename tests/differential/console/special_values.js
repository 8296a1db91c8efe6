// console: console.log of special numbers, sparse arrays, nested Maps, Symbols keys, getters
console.log([-0, 0, NaN, -Infinity, 1e21, 1e-7, 2 ** 53]);
console.log({ [Symbol("k")]: 1, get g() { return 2; }, set s(v) {} });
console.log(new Map([[{ k: 1 }, new Set([[1, 2]])]]));
console.log([1, , , 4], Object.create(null), [function f() {}, class A {}]);
