// structured_clone: structuredClone deep-copies objects, Maps, Dates, cycles
const src = { a: [1, { b: 2 }], m: new Map([["k", new Set([1])]]), d: new Date(0) };
src.self = src;
const c = structuredClone(src);
console.log(c !== src, c.a[1] !== src.a[1], c.self === c, c.m.get("k").has(1), c.d.toISOString());
console.log(JSON.stringify(c.a));
