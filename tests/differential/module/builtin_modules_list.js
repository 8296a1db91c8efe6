// module: module.builtinModules lists the core modules; module.isBuiltin accepts node: and subpath names
const { builtinModules, isBuiltin } = require("node:module");
for (const m of ["fs", "path", "events", "buffer", "util", "url", "child_process"]) console.log(m, builtinModules.includes(m));
console.log(isBuiltin("node:fs"), isBuiltin("fs/promises"), isBuiltin("not-a-module"));
