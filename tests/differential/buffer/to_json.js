// buffer: toJSON and JSON.stringify of a buffer
const b = Buffer.from([1, 2, 3]);
console.log(JSON.stringify(b));
console.log(Buffer.from(JSON.parse(JSON.stringify(b)).data).equals(b));
