// module: import of CommonJS gives named exports found the way Node finds them (cjs-module-lexer), re-exports followed
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const dir = join(process.cwd(), "named_cjs");
mkdirSync(join(dir, "node_modules", "lib"), { recursive: true });
writeFileSync(join(dir, "node_modules", "lib", "package.json"), JSON.stringify({ main: "main.js" }));
writeFileSync(join(dir, "node_modules", "lib", "main.js"),
  "exports.alpha = 1; exports['beta'] = 'b'; module.exports.gamma = function gamma() { return 'g'; };\n" +
  "Object.defineProperty(exports, 'delta', { enumerable: true, value: 4 });\n" +
  "// export const notReally = 1\nconst s = `\nexport default 1`;\nexports.s = s.length;\n");
writeFileSync(join(dir, "node_modules", "lib", "re.js"), "module.exports = require('./main.js');\n");
writeFileSync(join(dir, "esm.cjs"), "exports.__esModule = true; exports.default = 'dflt'; exports.named = 'n';\n");
const lib = await import(join(dir, "node_modules", "lib", "main.js"));
console.log(Object.keys(lib).sort().join(","), lib.alpha, lib.beta, lib.gamma(), lib.delta, lib.s);
const re = await import(join(dir, "node_modules", "lib", "re.js"));
console.log(Object.keys(re).sort().join(","), re.alpha === lib.alpha, re.default === lib.default);
const e = await import(join(dir, "esm.cjs"));
console.log(Object.keys(e).sort().join(","), typeof e.default, e.named);
