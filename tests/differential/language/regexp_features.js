// language: RegExp named groups, lookbehind, d-flag indices, unicode property escapes
const m = "2024-05-06".match(/(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})/);
console.log(m.groups.y, m.groups.m, m.groups.d);
console.log("price: $42".match(/(?<=\$)\d+/)[0], JSON.stringify(/b/d.exec("abc").indices[0]));
console.log(/\p{Lu}/u.test("É"), "aXbXc".split(/x/i).join("|"), [..."a1b2".matchAll(/\d/g)].map((x) => x[0]).join(""));
