// process: hrtime returns [sec, nsec] numbers, hrtime.bigint a bigint that does not go back
const t = process.hrtime();
console.log(Array.isArray(t), t.length, Number.isInteger(t[0]), Number.isInteger(t[1]));
const a = process.hrtime.bigint(), b = process.hrtime.bigint();
console.log(typeof a, b >= a);
const d = process.hrtime(t); console.log(d.length, d[0] >= 0);
console.log(typeof performance.now(), performance.now() >= 0);
