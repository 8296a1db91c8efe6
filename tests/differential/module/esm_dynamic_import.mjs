// module: ESM: dynamic import of builtins and createRequire
import { createRequire } from "node:module";
const path = await import("node:path");
console.log(path.default.join("a", "b"), path.join("c", "d"));
const require = createRequire(import.meta.url);
console.log(require("node:util").format("%s!", "cjs from esm"));
