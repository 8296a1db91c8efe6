// path: ESM named imports from node:path
import { join, basename } from "node:path";
import path from "node:path";
console.log(join("a", "b"), basename("/x/y.js", ".js"), path.sep);
