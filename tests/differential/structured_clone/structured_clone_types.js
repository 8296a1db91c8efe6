// structured_clone: structuredClone preserves typed arrays, errors and bigint
const c = structuredClone({ u: new Uint8Array([1, 2]), e: new RangeError("r"), n: 5n, r: /x/g });
console.log(c.u instanceof Uint8Array, Array.from(c.u).join(","), c.e instanceof RangeError, c.e.message, c.n, String(c.r));
