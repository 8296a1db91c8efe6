// scale: 500 small files created, listed and removed
const fs = require("node:fs");
fs.mkdirSync("many");
for (let i = 0; i < 500; i++) fs.writeFileSync(`many/f${i}.txt`, String(i));
const names = fs.readdirSync("many");
let sum = 0;
for (const n of names) sum += Number(fs.readFileSync("many/" + n, "utf8"));
console.log(names.length, sum);
fs.rmSync("many", { recursive: true });
console.log(fs.existsSync("many"));
