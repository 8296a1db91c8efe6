// module: require() of an ES module as Node 20.19+/22 does (namespace, __esModule, 'module.exports', TLA refused)
const fs = require("fs");
const path = require("path");
const dir = path.join(process.cwd(), "req_esm");
fs.mkdirSync(path.join(dir, "node_modules", "esm-only"), { recursive: true });
fs.writeFileSync(path.join(dir, "node_modules", "esm-only", "package.json"), JSON.stringify({ type: "module", exports: "./index.js" }));
fs.writeFileSync(path.join(dir, "node_modules", "esm-only", "index.js"), "export const hello = (n) => 'hi ' + n;\nexport default 42;\n");
fs.writeFileSync(path.join(dir, "plain.mjs"), "export const x = 1; export function f() { return 'f'; }\n");
fs.writeFileSync(path.join(dir, "tla.mjs"), "await Promise.resolve(); export const z = 1;\n");
fs.writeFileSync(path.join(dir, "throws.mjs"), "throw new RangeError('boom at load');\n");
fs.writeFileSync(path.join(dir, "modexp.mjs"), "const f = () => 'the function'; export { f as 'module.exports' };\n");
fs.writeFileSync(path.join(dir, "main.js"), "module.exports = require('esm-only');\n");
const e = require(path.join(dir, "main.js"));
console.log(e.hello("x"), e.default, Object.keys(e).join(","), e.__esModule);
const p = require(path.join(dir, "plain.mjs"));
console.log(Object.keys(p).join(","), p.x, p.f(), p.__esModule);
console.log(require(path.join(dir, "plain.mjs")) === p);
for (const f of ["tla.mjs", "throws.mjs"]) {
  try { require(path.join(dir, f)); console.log("loaded", f); }
  catch (err) { console.log(f, err.name, err.code, err.code ? "" : err.message); }
}
console.log(require(path.join(dir, "modexp.mjs"))());
