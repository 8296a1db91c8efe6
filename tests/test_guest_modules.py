"""Guest module system: CommonJS require over policy-checked fs ops, node: built-ins, packages."""

from __future__ import annotations

from test_guest_harness import guest_lines, run_guest

APP = {
    "/app/lib/math.js": "exports.add = (a, b) => a + b; exports.loadedAs = __filename;",
    "/app/lib/index.js": "module.exports = { name: 'lib-index', dir: __dirname };",
    "/app/data.json": '{"k": [1, 2]}',
    "/app/counter.js": "let n = 0; module.exports = () => ++n;",
    "/app/cyc_a.js": "exports.a = 1; const b = require('./cyc_b'); exports.fromB = b.b;",
    "/app/cyc_b.js": "const a = require('./cyc_a'); exports.b = 'b saw a=' + a.a;",
    "/app/node_modules/plain/package.json": '{"main": "main.js"}',
    "/app/node_modules/plain/main.js": "module.exports = 'plain main';",
    "/app/node_modules/@sc/pkg/package.json": (
        '{"exports": {".": {"import": "./esm.mjs", "require": "./cjs.js"}, "./feature/*": "./f/*.js"}}'
    ),
    "/app/node_modules/@sc/pkg/cjs.js": "module.exports = 'scoped cjs';",
    "/app/node_modules/@sc/pkg/f/x.js": "module.exports = 'feature x';",
    "/app/node_modules/@sc/pkg/hidden.js": "module.exports = 'hidden';",
    "/app/broken.js": "module.exports = ;",
    "/secret/mod.js": "module.exports = 'secret';",
}


def test_relative_json_directory_and_packages() -> None:
    src = """
    const m = require('./lib/math');
    console.log(m.add(2, 3), m.loadedAs);
    console.log(JSON.stringify(require('./lib')), require('./data.json').k[1]);
    console.log(require('plain'), require('@sc/pkg'), require('@sc/pkg/feature/x'));
    console.log(require.resolve('./lib/math'), require.resolve('node:fs'), require.resolve('fs'));
    const c1 = require('./counter'); c1(); console.log(require('./counter.js')(), c1 === require('/app/counter.js'));
    console.log(JSON.stringify(require('./cyc_a')));
    console.log(require.main === module, module.id, typeof module.children);
    """
    lines = guest_lines(src, files=APP, filename="/app/main.js", config={"cwd": "/app"})
    assert lines == [
        "5 /app/lib/math.js",
        '{"name":"lib-index","dir":"/app/lib"} 2',
        "plain main scoped cjs feature x",
        "/app/lib/math.js node:fs fs",
        "2 true",
        '{"a":1,"fromB":"b saw a=1"}',
        "true . object",
    ]


def test_resolution_errors() -> None:
    src = """
    for (const id of ['./missing', 'nopkg', '@sc/pkg/hidden.js', 'node:nope', '/secret/mod.js', './broken']) {
      try { require(id); console.log('loaded', id); }
      catch (e) { console.log(id, '->', e.code || e.name, e.message.split('\\n')[0]); }
    }
    """
    lines = guest_lines(src, files=APP, filename="/app/main.js", deny=["/secret"])
    assert lines[:5] == [
        "./missing -> MODULE_NOT_FOUND Cannot find module './missing'",
        "nopkg -> MODULE_NOT_FOUND Cannot find module 'nopkg'",
        "@sc/pkg/hidden.js -> ERR_PACKAGE_PATH_NOT_EXPORTED Package subpath './hidden.js' is not defined by"
        ' "exports" in /app/node_modules/@sc/pkg/package.json',
        "node:nope -> ERR_UNKNOWN_BUILTIN_MODULE No such built-in module: node:nope",
        # a module the policy refuses is an EACCES, never "not found"
        # a refused probe is "absent" (the loader's "import" decision is no oracle for what exists)
        "/secret/mod.js -> MODULE_NOT_FOUND Cannot find module '/secret/mod.js'",
    ]
    assert lines[5].startswith("./broken -> SyntaxError")
    assert len(lines) == 6


def test_require_stack_names_the_parent() -> None:
    r = run_guest("try { require('./nope') } catch (e) { console.log(JSON.stringify(e.message)) }",
                  files=APP, filename="/app/main.js")
    assert r["stdout"].strip() == '"Cannot find module \'./nope\'\\nRequire stack:\\n- /app/main.js"'


def test_builtins_with_and_without_prefix_and_unsupported_modules() -> None:
    src = """
    console.log(require('node:fs') === require('fs'), require('node:path') === require('path'));
    console.log(require('path').posix === require('path'), typeof require('node:util').inspect);
    for (const m of ['net', 'node:vm', 'worker_threads', 'zlib']) {
      try { require(m); } catch (e) { console.log(e.message); }
    }
    const Module = require('module');
    console.log(Module.isBuiltin('node:fs'), Module.builtinModules.includes('child_process'));
    const r = Module.createRequire('/app/lib/x.js');
    console.log(r('./math').add(1, 1));
    try { require.cache['/x'] = {}; } catch (e) { console.log(e.name); }
    try { delete require.cache['/app/main.js']; } catch (e) { console.log(e.name); }
    console.log(__se_builtin('fs') === require('fs'), __se_builtin('node:os') === require('os'));
    """
    lines = guest_lines(src, files=APP, filename="/app/main.js")
    assert lines == [
        "true true",
        "true function",
        "net is not supported in sandbox",
        "vm is not supported in sandbox",
        "worker_threads is not supported in sandbox",
        "zlib is not supported in sandbox",
        "true true",
        "2",
        "TypeError",
        "TypeError",
        "true true",
    ]


def test_module_loading_is_policy_checked_file_reads() -> None:
    r = run_guest("require('./lib/math')", files=APP, filename="/app/main.js")
    assert r["exit"] == 0
    assert ["module.read", "/app/lib/math.js"] in r["ops"]
    assert all(op.startswith("module.") for op, _ in r["ops"])
    # the format of a .js file comes from its package scope, as in Node: package.json probes upward
    assert ["module.stat", "/app/lib/package.json"] in r["ops"]


def test_scripts_get_no_global_require_but_can_create_one() -> None:
    src = """
    console.log(typeof require);
    const req = __se_builtin('module').createRequire(process.cwd() + '/');
    console.log(req('./lib/math').add(4, 4));
    """
    assert guest_lines(src, files=APP, mode="script", config={"cwd": "/app"}) == ["undefined", "8"]
