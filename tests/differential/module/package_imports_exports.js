// module: package "exports" arrays and conditions, "#imports", ERR_PACKAGE_PATH_NOT_EXPORTED
const fs = require("fs");
const path = require("path");
const dir = path.join(process.cwd(), "pkg_maps");
const pkg = path.join(dir, "node_modules", "maps");
fs.mkdirSync(path.join(pkg, "lib"), { recursive: true });
fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({
  name: "maps",
  exports: { ".": [{ require: "./lib/main.cjs", import: "./lib/main.mjs" }, "./lib/main.cjs"], "./feature/*": { node: "./lib/f-*.js" }, "./internal/*": null },
  imports: { "#dep": { require: "./lib/dep.js", default: "./lib/dep.mjs" }, "#util/*": "./lib/u-*.js" },
}));
fs.writeFileSync(path.join(pkg, "lib", "main.cjs"), "module.exports = 'main via ' + require('#dep') + ' ' + require('#util/x');\n");
fs.writeFileSync(path.join(pkg, "lib", "main.mjs"), "import dep from '#dep'; export default 'esm main ' + dep;\n");
fs.writeFileSync(path.join(pkg, "lib", "dep.js"), "module.exports = 'dep';\n");
fs.writeFileSync(path.join(pkg, "lib", "dep.mjs"), "export default 'esm dep';\n");
fs.writeFileSync(path.join(pkg, "lib", "u-x.js"), "module.exports = 'ux';\n");
fs.writeFileSync(path.join(pkg, "lib", "f-a.js"), "module.exports = 'feature a';\n");
fs.writeFileSync(path.join(dir, "main.js"), `
console.log(require('maps'), require('maps/feature/a'));
for (const id of ['maps/internal/x', 'maps/lib/dep.js', 'maps/nope']) {
  try { require(id); } catch (e) { console.log(id, e.code); }
}
import('maps').then((ns) => console.log(ns.default));
`);
require(path.join(dir, "main.js"));
