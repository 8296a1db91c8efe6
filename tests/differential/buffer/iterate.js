// buffer: iteration: for..of, entries, keys
const b = Buffer.from("ab");
for (const x of b) console.log(x);
console.log([...b.entries()].join(";"), [...b.keys()].join(","));
