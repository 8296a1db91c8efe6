// console: console.dir, %c stripping, %o and %O of simple values
console.dir({ a: { b: { c: { d: 1 } } } });
console.dir({ a: { b: { c: { d: 1 } } } }, { depth: 0 });
console.log("%cstyled%c text", "color: red", "");
console.log("%O|%o", { x: [1, 2] }, "s");
