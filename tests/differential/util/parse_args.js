// util: util.parseArgs parses options and positionals
const { parseArgs } = require("node:util");
const { values, positionals } = parseArgs({
  args: ["-f", "--bar", "b", "pos1", "pos2"],
  options: { foo: { type: "boolean", short: "f" }, bar: { type: "string" } },
  allowPositionals: true,
});
console.log(JSON.stringify(values), positionals.join(","));
try { parseArgs({ args: ["--nope"], options: {} }); } catch (e) { console.log(e.code); }
