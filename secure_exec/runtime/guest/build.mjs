// Builds the guest Node shim: src/ + pinned npm packages -> secure_exec/engine/bootstrap/50-node.js,
// plus builtins.json (export names of each built-in, for the host's ESM wrappers of "node:*").
//
//   node secure_exec/runtime/guest/build.mjs           # write both files
//   node secure_exec/runtime/guest/build.mjs --check   # rebuild in memory, fail if they differ
//
// Reproducible: pinned esbuild + package-lock.json, no timestamps, sorted output.
import { build } from "esbuild";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, relative } from "node:path";
import vm from "node:vm";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const bundlePath = join(repo, "secure_exec", "engine", "bootstrap", "50-node.js");
const builtinsPath = join(here, "builtins.json");
const lexerPath = join(here, "cjs-module-lexer.js");
const check = process.argv.includes("--check");

const BANNER = `// GENERATED FILE - do not edit. Source: secure_exec/runtime/guest/src (guest Node shim).
// Rebuild: node secure_exec/runtime/guest/build.mjs  (CI: --check). Bundles pinned npm packages
// (buffer, events, path-browserify, string_decoder, querystring-es3, whatwg-url-without-unicode,
// punycode); their licence notices are kept at the end of this file.`;

// whatwg-url-without-unicode leaves hosts as typed ("Example.COM"); the URL standard lowercases
// them (and IDNA-encodes non-ASCII). Patch its domainToASCII at bundle time; fail loudly if the
// pinned source ever changes shape.
const patchHostCase = {
  name: "whatwg-url-host-case",
  setup(b) {
    b.onLoad({ filter: /whatwg-url-without-unicode[\\/]lib[\\/]url-state-machine\.js$/ }, (args) => {
      const src = readFileSync(args.path, "utf8");
      const from = "function domainToASCII(domain) {\n  const result = domain;";
      if (!src.includes(from)) throw new Error("url-state-machine.js changed: update the host-case patch");
      const to = "function domainToASCII(domain) {\n  const lower = domain.toLowerCase();\n" +
        "  const result = /[^\\x00-\\x7f]/.test(lower) ? punycode.toASCII(lower) : lower;";
      return { contents: src.replace(from, to), loader: "js" };
    });
  },
};

async function bundle() {
  const res = await build({
    entryPoints: [join(here, "src", "index.js")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    inject: [join(here, "src", "inject-buffer.js")],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "eof",
    charset: "ascii",
    banner: { js: BANNER },
    logLevel: "silent",
    absWorkingDir: here,
    plugins: [patchHostCase],
  });
  if (res.errors.length) throw new Error(res.errors.map((e) => e.text).join("\n"));
  return res.outputFiles[0].text;
}

// cjs-module-lexer (the lexer Node itself uses to find the named exports of a CommonJS module for
// `import`) as a classic script for the host's lexer sandbox (secure_exec/runtime/modules.py): it
// defines one global, __se_cjs_lex(source) -> {exports, reexports} | {esm: message} | {error: message}.
const LEXER_BANNER = `// GENERATED FILE - do not edit. cjs-module-lexer (pinned in package-lock.json), bundled by
// secure_exec/runtime/guest/build.mjs for the host's CommonJS named-export lexer; licence at the end.`;

async function bundleLexer() {
  const entry = `const { parse } = require("cjs-module-lexer");
Object.defineProperty(globalThis, "__se_cjs_lex", { value: (source) => {
  try { return parse(source); }
  catch (e) { return e && e.code === "ERR_LEXER_ESM_SYNTAX" ? { esm: String(e.message) } : { error: String(e && e.message) }; }
} });`;
  const res = await build({
    stdin: { contents: entry, resolveDir: here, sourcefile: "cjs-lexer-entry.js" },
    bundle: true, write: false, format: "iife", platform: "neutral", target: "es2022",
    minifyWhitespace: true, minifySyntax: true, legalComments: "eof", charset: "ascii",
    banner: { js: LEXER_BANNER }, logLevel: "silent", absWorkingDir: here, mainFields: ["main"],
    footer: { js: "/*! cjs-module-lexer licence:\n" +
      readFileSync(join(here, "node_modules", "cjs-module-lexer", "LICENSE"), "utf8").replaceAll("*/", "* /") + "*/" },
  });
  if (res.errors.length) throw new Error(res.errors.map((e) => e.text).join("\n"));
  return res.outputFiles[0].text;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RESERVED = new Set(["default", "delete", "new", "class", "function", "var", "let", "const", "import", "export", "return", "if", "else", "for", "while", "do", "switch", "case", "break", "continue", "throw", "try", "catch", "finally", "typeof", "instanceof", "in", "of", "void", "this", "super", "with", "yield", "await", "enum", "null", "true", "false", "debugger", "extends", "static", "implements", "interface", "package", "private", "protected", "public"]);

/** Load the bundle in a bare vm context (fake host that answers nothing) and list each builtin's exports. */
function builtinExports(code) {
  const ctx = vm.createContext({ queueMicrotask, performance: { now: () => 0 }, atob, btoa });
  ctx.__se_hostcall = () => { throw Object.assign(new Error("no host at build time"), { code: "ENOSYS" }); };
  vm.runInContext(code, ctx, { filename: "50-node.js" });
  const names = vm.runInContext("__se_builtin('module').builtinModules", ctx);
  const modules = {};
  for (const name of names) {
    const exp = ctx.__se_builtin(name);
    const keys = exp && (typeof exp === "object" || typeof exp === "function") ? Object.keys(exp) : [];
    modules[name] = keys.filter((k) => IDENT.test(k) && !RESERVED.has(k)).sort();
  }
  const unsupported = vm.runInContext("__se_builtin('module').unsupportedModules", ctx);
  return JSON.stringify({ format: 1, modules, unsupported }, null, 1) + "\n";
}

let code;
let builtins;
let lexer;
try {
  code = await bundle();
  builtins = builtinExports(code);
  lexer = await bundleLexer();
} catch (err) {
  console.error(`guest build failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
}
if (check) {
  let ok = true;
  for (const [p, want] of [[bundlePath, code], [builtinsPath, builtins], [lexerPath, lexer]]) {
    const have = existsSync(p) ? readFileSync(p, "utf8") : null;
    if (have !== want) { ok = false; console.error(`out of date: ${relative(repo, p)} (run node secure_exec/runtime/guest/build.mjs)`); }
  }
  if (!ok) process.exit(1);
  console.log(`up to date: 50-node.js (${code.length} bytes), builtins.json, cjs-module-lexer.js`);
} else {
  writeFileSync(bundlePath, code);
  writeFileSync(builtinsPath, builtins);
  writeFileSync(lexerPath, lexer);
  console.log(`wrote ${relative(repo, bundlePath)} (${code.length} bytes), ${relative(repo, builtinsPath)} and ${relative(repo, lexerPath)}`);
}
