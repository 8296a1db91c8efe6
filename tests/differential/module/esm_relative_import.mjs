// module: ESM imports a sibling .mjs module written at runtime
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
writeFileSync("lib.mjs", "export const value = 41; export default function inc(x) { return x + 1; }");
const mod = await import(pathToFileURL(join(process.cwd(), "lib.mjs")).href);
console.log(mod.default(mod.value), Object.keys(mod).sort().join(","));
