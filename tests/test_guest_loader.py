"""The ES module loader (secure_exec/runtime/modules.py): Node's format rules, exports/imports maps,
named exports of CommonJS through cjs-module-lexer, and require() of ES modules through the engine.

Each case here failed before the loader followed Node's algorithm (a text regex decided ESM vs
CommonJS, ``import`` of CommonJS gave only a default export, ``require()`` of ESM was a SyntaxError).
"""

from __future__ import annotations

import posixpath
from typing import Any

import pytest

import secure_exec as se
from secure_exec.runtime.modules import LEXER, exports_resolve, looks_like_esm


def run(src: str, files: dict[str, str], filename: str = "/app/main.mjs") -> tuple[int, str, str]:
    fs = se.create_in_memory_file_system()
    for path, text in files.items():
        fs.mkdir(posixpath.dirname(path), recursive=True)
        fs.write_file(path, text)
    out: list[str] = []
    err: list[str] = []

    def on_stdio(ev: Any) -> None:
        (out if ev.channel == "stdout" else err).append(ev.data)

    driver = se.create_node_driver(filesystem=fs, permissions=se.allow_all, process_config=se.ProcessConfig(cwd="/app"))
    with se.NodeRuntime(system_driver=driver, on_stdio=on_stdio) as rt:
        r = rt.exec(src, file_path=filename, cwd="/app")
    return r.code, "".join(out), "".join(err)


# ---------------------------------------------------------------------------- ESM detection

@pytest.mark.parametrize(("source", "esm"), [
    ("import fs from 'node:fs';", True),
    ("const v=1;export{v}", True),                      # minified: the old line-start regex missed it
    ("const here = import.meta.url;", True),
    ("const doc = `\nimport x from 'y';\nexport default x;\n`;\nmodule.exports = doc;", False),  # in a template
    ("/*\nexport const no = 1;\n*/ module.exports = 1;", False),                                 # in a comment
    ("const s = '\\\nexport default 1'; module.exports = s;", False),                           # in a string
    ("import('./x.js').then(() => {});", False),        # dynamic import() is CommonJS too
    ("exports.important = 1; // exporting", False),
])
def test_esm_detection_is_the_lexer_not_a_regex(source: str, esm: bool) -> None:
    assert looks_like_esm(source) is esm


def test_lexer_finds_named_exports_and_reexports() -> None:
    r = LEXER.lex("exports.a = 1; module.exports.b = 2; Object.defineProperty(exports, 'c', {value: 3});"
                  "module.exports = require('./other');")
    assert set(r["exports"]) >= {"a", "b", "c"} and r["reexports"] == ["./other"]


# ---------------------------------------------------------------------------- exports / imports maps

@pytest.mark.parametrize(("exports", "sub", "conds", "want"), [
    ("./main.js", ".", ("node", "import", "default"), "/p/main.js"),
    ({".": [{"import": "./m.mjs"}, "./c.js"]}, ".", ("node", "require", "default"), "/p/c.js"),  # array fallback
    ({".": [{"import": "./m.mjs"}, "./c.js"]}, ".", ("node", "import", "default"), "/p/m.mjs"),
    ({"import": "./m.mjs", "require": "./c.js"}, ".", ("node", "require", "default"), "/p/c.js"),
    ({"./f/*": {"node": "./lib/*.js"}}, "./f/a/b", ("node", "import", "default"), "/p/lib/a/b.js"),
    ({"./f/*": "./lib/*.js", "./f/x/*": "./x/*.js"}, "./f/x/y", ("default",), "/p/x/y.js"),  # longest prefix
    ({"./internal/*": None, "./*": "./*"}, "./internal/a", ("default",), None),
    ({".": "../escape.js"}, ".", ("default",), None),   # targets must stay inside the package
])
def test_exports_resolution(exports: Any, sub: str, conds: tuple[str, ...], want: str | None) -> None:
    assert exports_resolve("/p", exports, sub, conds) == want


# ---------------------------------------------------------------------------- through the runtime

PKGS = {
    "/app/node_modules/cj/package.json": '{"main": "lib/index", "module": "esm/never-used.js"}',
    "/app/node_modules/cj/lib/index.js": "exports.alpha = 1; exports['beta'] = 2; module.exports.gamma = () => 'g';",
    "/app/node_modules/cj/lib/re.js": "module.exports = require('./index.js');",
    "/app/node_modules/tm/package.json": (
        '{"type": "module", "exports": {".": [{"import": "./m.js"}, "./f.js"]}, "imports": {"#int": "./internal.js"}}'),
    "/app/node_modules/tm/m.js": "import i from '#int'; export default 'tm:' + i; export const k = 5;",
    "/app/node_modules/tm/internal.js": "export default 'internal';",
    "/app/node_modules/lodashy/package.json": '{"main": "bundle.js"}',
    "/app/node_modules/lodashy/bundle.js": "const t = `\nexport default 1`;\nexports.chunk = (a) => [a];\n",
}


def test_import_of_commonjs_has_named_exports_and_follows_type() -> None:
    src = """
    import cj, { alpha, beta, gamma } from 'cj';
    import { alpha as a2 } from 'cj/lib/re.js';
    import tm, { k } from 'tm';
    import { chunk } from 'lodashy';
    console.log(alpha, beta, gamma(), a2, cj.alpha, tm, k, JSON.stringify(chunk(1)));
    """
    code, out, err = run(src, PKGS)
    assert (code, out) == (0, "1 2 g 1 1 tm:internal 5 [1]\n"), err


def test_require_of_es_module() -> None:
    files = {
        **PKGS,
        "/app/node_modules/em/package.json": '{"type": "module", "exports": {"require": "./m.js"}}',
        "/app/node_modules/em/m.js": "export { default, k } from 'tm';",
        "/app/tla.mjs": "await 0; export const z = 1;",
        "/app/throws.mjs": "throw new RangeError('at load');",
    }
    src = """
    const tm = require('em');
    console.log(tm.default, tm.k, tm.__esModule, Object.keys(tm).join());
    try { require('./tla.mjs'); } catch (e) { console.log(e.code); }
    try { require('./throws.mjs'); } catch (e) { console.log(e.name, e.message); }
    """
    code, out, err = run(src, files, filename="/app/main.js")
    assert code == 0, err
    assert out.splitlines() == ["tm:internal 5 true __esModule,default,k", "ERR_REQUIRE_ASYNC_MODULE",
                                "RangeError at load"]


def test_require_stack_names_the_file() -> None:
    files = {"/app/lib/thrower.js": "'use strict';\n\nmodule.exports = function thrower() {\n"
                                    "  throw new Error('x');\n};\n"}
    src = ("try { require('./lib/thrower.js')(); }\n"
           "catch (e) { console.log(e.stack.split('\\n').find((l) => l.includes('thrower'))); }")
    code, out, err = run(src, files, filename="/app/main.js")
    assert code == 0, err
    assert "/app/lib/thrower.js:4:" in out and "<input>" not in out


def test_exit_listener_exit_code_wins() -> None:
    code, out, _ = run("process.on('exit', () => process.exit(1)); console.log('done');", {}, filename="/app/m.js")
    assert (code, out) == (1, "done\n")


def test_named_exports_that_are_not_identifiers() -> None:
    # what node v20 prints for the same files: ["a-b","class","default","ok"] 1 2 3
    files = {"/app/lib.cjs": "exports['a-b'] = 1; exports['class'] = 2; exports.ok = 3;\n"}
    src = "import * as ns from './lib.cjs'; console.log(JSON.stringify(Object.keys(ns)), ns['a-b'], ns.class, ns.ok);"
    code, out, err = run(src, files)
    assert (code, out) == (0, '["a-b","class","default","ok"] 1 2 3\n'), err
