// util: console.log formatting of mixed values
console.log(null, undefined, 1.5, "s", [1, "a"], { k: [null] });
console.log({ nested: { arr: [{ x: 1 }] } });
console.log([undefined, , 3]);
console.log("%o", 1);
