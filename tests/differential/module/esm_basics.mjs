// module: ESM: static imports, import.meta.url shape, top-level await
import fs from "node:fs";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
fs.writeFileSync("esm.txt", "esm");
console.log(readFileSync("esm.txt", "utf8"), import.meta.url.startsWith("file:///"), import.meta.url.endsWith(".mjs"));
console.log(await sleep(1, "tla"));
console.log(typeof require);
