// module: stack traces and syntax errors of a required CommonJS file name that file and line
const fs = require("fs");
const path = require("path");
const file = path.join(process.cwd(), "stack_mod.js");
fs.writeFileSync(file, "'use strict';\n\nfunction thrower() {\n  throw new Error('where am i');\n}\nmodule.exports = thrower;\n");
fs.writeFileSync(path.join(process.cwd(), "bad_syntax.js"), "const a = 1;\nconst = 2;\n");
try { require(file)(); } catch (e) {
  const frame = e.stack.split("\n").find((l) => l.includes("stack_mod.js"));
  console.log(frame ? /stack_mod\.js:4:\d+\)?$/.test(frame) : "no frame naming the file", frame && frame.includes("thrower"));
}
try { require(path.join(process.cwd(), "bad_syntax.js")); } catch (e) { console.log(e.name, e.code, e.stack.includes("bad_syntax.js")); }
