// globals: JSON.stringify edge cases: toJSON, replacer, indent, undefined/function dropping
console.log(JSON.stringify({ d: { toJSON() { return "custom"; } }, u: undefined, f() {}, n: null, nan: NaN }));
console.log(JSON.stringify([undefined, () => 1, Symbol("s")]));
console.log(JSON.stringify({ a: 1, b: [1, 2] }, null, 2));
console.log(JSON.stringify({ a: 1, b: 2, c: 3 }, ["a", "c"]), JSON.stringify("\u2028\ud800"));
console.log(JSON.parse('{"a":[1,{"b":null}]}', (k, v) => (typeof v === "number" ? v * 10 : v)).a[0]);
