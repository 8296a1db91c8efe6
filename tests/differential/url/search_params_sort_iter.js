// url: URLSearchParams sort and iteration order
const sp = new URLSearchParams({ z: "26", a: "1", m: "13" });
sp.sort();
console.log(sp.toString());
for (const [k, v] of sp) console.log(k, v);
console.log([...sp.keys()].join(""), [...sp.values()].join(","));
