// module: ESM importing a CommonJS file gets module.exports as default
import { writeFileSync } from "node:fs";
import { join } from "node:path";
writeFileSync("c.cjs", "module.exports = { answer: 42 };");
const ns = await import(join(process.cwd(), "c.cjs"));
console.log(ns.default.answer, typeof ns.default);
