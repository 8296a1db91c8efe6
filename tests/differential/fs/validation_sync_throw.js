// fs: callback APIs throw argument errors synchronously with Node's message, never through the callback
const fs = require("fs");
const inputs = [false, 1, {}, [], null, undefined, "a\u0000b", Symbol("s"), 12345678901234567890n, function named() {}, Object.create(null), 1.5, -0, "it's a long string that goes past the limit"];
for (const input of inputs) {
  for (const [name, call] of [
    ["rename", () => fs.rename(input, "x", () => console.log("callback ran"))],
    ["unlinkSync", () => fs.unlinkSync(input)],
    ["readFile", () => (typeof input === "object" && (input === null || Object.getPrototypeOf(input) !== null)) || typeof input === "boolean" ? fs.readFile(input, () => console.log("callback ran")) : "skipped"],
  ]) {
    try { call(); console.log(name, "no throw"); }
    catch (e) { console.log(name, e.name, e.code, e.message); }
  }
}
try { fs.readFile("x"); } catch (e) { console.log(e.code, e.message); }
