// module: ESM vs CommonJS decided as Node does ("type", .mjs/.cjs, syntax detection), not by a text pattern
const fs = require("fs");
const path = require("path");
const dir = path.join(process.cwd(), "pkg_type");
fs.mkdirSync(path.join(dir, "esm"), { recursive: true });
fs.mkdirSync(path.join(dir, "cjs"), { recursive: true });
fs.writeFileSync(path.join(dir, "esm", "package.json"), JSON.stringify({ type: "module" }));
fs.writeFileSync(path.join(dir, "esm", "a.js"), "export const kind = typeof require === 'undefined' ? 'esm' : 'cjs';\n");
fs.writeFileSync(path.join(dir, "esm", "b.cjs"), "module.exports = { kind: typeof require };\n");
fs.writeFileSync(path.join(dir, "cjs", "package.json"), JSON.stringify({ type: "commonjs" }));
// a CommonJS bundle whose text has lines that start like ESM (inside a template literal and a comment)
fs.writeFileSync(path.join(dir, "cjs", "bundle.js"), "const doc = `\nimport x from 'y';\nexport default x;\n`;\n/*\nexport const no = 1;\n*/\nmodule.exports = { lines: doc.split('\\n').length };\n");
fs.writeFileSync(path.join(dir, "typeless.js"), "const tpl = `\nexport {`; exports.len = tpl.length;\n");
fs.writeFileSync(path.join(dir, "minified.mjs"), "const v=1;export{v as value}");
console.log(JSON.stringify(require(path.join(dir, "esm", "a.js"))));
console.log(JSON.stringify(require(path.join(dir, "esm", "b.cjs"))));
console.log(JSON.stringify(require(path.join(dir, "cjs", "bundle.js"))));
console.log(JSON.stringify(require(path.join(dir, "typeless.js"))));
import(path.join(dir, "cjs", "bundle.js")).then((ns) => console.log("import", Object.keys(ns).join(","), ns.lines));
import(path.join(dir, "minified.mjs")).then((ns) => console.log("minified", ns.value));
