"""Real npm packages in the sandbox, each used through ``import`` and through ``require``, compared with node.

Not part of CI (it installs ~80 packages from the registry). The packages and their exact versions
are pinned in ``benchmarks/npm_corpus/package.json`` + ``package-lock.json``; they are installed at
benchmark time into a cache folder outside the repository and never committed:

    .venv/bin/python benchmarks/npm_corpus.py install     # npm ci --ignore-scripts into the cache
    .venv/bin/python benchmarks/npm_corpus.py run [--only lodash,chalk] [-v]

For every package two probes are written next to ``node_modules``: an ES module doing
``import * as ns from "<pkg>"`` and a CommonJS script doing ``require("<pkg>")``. Each prints the shape
of what it got (sorted export names and their types) and, for most packages, the result of a small
use of the package (``USE`` below). A probe passes when the sandbox prints exactly what the machine's
``node`` prints and exits with the same code. The sandbox sees the cache read-only at ``/`` through a
``HostFileSystem``, with everything allowed. The cache is ``$SECURE_EXEC_NPM_CORPUS`` or
``~/.cache/secure_exec/npm-corpus``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "npm_corpus"
DEFAULT_CACHE = Path(os.environ.get("SECURE_EXEC_NPM_CORPUS", Path.home() / ".cache/secure_exec/npm-corpus"))

# A small, deterministic use of each package: a JS expression over `lib` (the package's main value:
# module.exports, or the default export of an ES module). Packages without an entry get the shape only.
USE: dict[str, str] = {
    "@babel/parser": "lib.parse('const a = 1 + 2').program.body[0].declarations[0].init.type",
    "acorn": "lib.parse('let x = 1', {ecmaVersion: 2020}).body[0].kind",
    "ajv": "new (lib.default || lib)().validate({type: 'number'}, 3)",
    "base64-js": "lib.fromByteArray(new Uint8Array([104, 105]))",
    "big.js": "new lib('0.1').plus('0.2').toString()",
    "bignumber.js": "new lib('0.1').plus('0.2').toString()",
    "camelcase": "lib('foo-bar_baz')",
    "chalk": "lib.level >= 0 && typeof lib.red('x')",
    "classnames": "lib('a', {b: true, c: false})",
    "clsx": "(lib.clsx || lib)('a', {b: true})",
    "commander": "new lib.Command().name('x').option('-d, --debug').parse(['node', 'x', '-d']).opts().debug",
    "cookie": "JSON.stringify(lib.parse('a=1; b=two'))",
    "crypto-js": "lib.SHA256('abc').toString()",
    "date-fns": "lib.format(new Date(2020, 0, 2), 'yyyy-MM-dd')",
    "dayjs": "lib('2020-01-02').add(1, 'day').format('YYYY-MM-DD')",
    "decimal.js": "new lib('0.1').plus('0.2').toString()",
    "deepmerge": "JSON.stringify(lib({a: [1]}, {a: [2], b: 1}))",
    "diff": "lib.diffChars('abc', 'abd').length",
    "dotenv": "JSON.stringify(lib.parse('A=1\\nB=two'))",
    "ejs": "lib.render('<%= a %>!', {a: 'hi'})",
    "entities": "lib.decodeHTML('&lt;b&gt;')",
    "escape-html": "lib('<a href=\"x\">')",
    "esprima": "lib.parseScript('var a = 1').body[0].type",
    "eventemitter3": "(() => { const E = lib.EventEmitter || lib; const e = new E(); let n = 0; "
                     "e.on('x', (v) => { n = v; }); e.emit('x', 7); return n; })()",
    "fast-deep-equal": "lib({a: [1]}, {a: [1]})",
    "fast-xml-parser": "JSON.stringify(new lib.XMLParser().parse('<a><b>1</b></a>'))",
    "flatted": "lib.stringify([1, {a: 2}])",
    "fuse.js": "new lib(['apple', 'banana']).search('banan')[0].item",
    "handlebars": "lib.compile('Hi {{name}}')({name: 'you'})",
    "he": "lib.decode('&amp;&#x41;')",
    "immer": "JSON.stringify(lib.produce({a: 1}, (d) => { d.a = 2; }))",
    "ini": "JSON.stringify(lib.parse('[s]\\nk=v'))",
    "js-yaml": "JSON.stringify(lib.load('a: [1, 2]'))",
    "json5": "JSON.stringify(lib.parse('{a: 1, /* c */ b: \"x\",}'))",
    "lodash": "JSON.stringify(lib.chunk([1, 2, 3], 2)) + lib.kebabCase('Foo Bar')",
    "lodash-es": "JSON.stringify(lib.chunk([1, 2, 3], 2)) + lib.kebabCase('Foo Bar')",
    "lru-cache": "(() => { const c = new lib.LRUCache({max: 2}); c.set('a', 1); c.set('b', 2); c.set('c', 3); "
                 "return [...c.keys()].join(); })()",
    "marked": "lib.marked.parse('# hi')",
    "markdown-it": "lib().render('*x*')",
    "mime": "lib.getType('a.json')",
    "mime-types": "lib.lookup('a.html')",
    "minimatch": "lib.minimatch('a/b.js', '**/*.js')",
    "minimist": "JSON.stringify(lib(['-a', '1', '--b=c', 'd']))",
    "mitt": "(() => { const e = lib(); let n = 0; e.on('x', (v) => { n = v; }); e.emit('x', 5); return n; })()",
    "moment": "lib.utc('2020-01-02').add(1, 'days').format('YYYY-MM-DD')",
    "ms": "lib('2h') + ' ' + lib(60000)",
    "mustache": "lib.render('Hi {{n}}', {n: 'x'})",
    "nanoid": "lib.nanoid(10).length",
    "nunjucks": "lib.renderString('Hi {{ n }}', {n: 'x'})",
    "object-hash": "lib({a: 1})",
    "papaparse": "JSON.stringify(lib.parse('a,b\\n1,2').data)",
    "path-to-regexp": "JSON.stringify(lib.match('/u/:id')('/u/7').params)",
    "picomatch": "lib('*.js')('a.js')",
    "pluralize": "lib('box')",
    "qs": "JSON.stringify(lib.parse('a[b]=1&c=2'))",
    "ramda": "JSON.stringify(lib.map(lib.inc, [1, 2]))",
    "rfdc": "JSON.stringify(lib()({a: [1]}))",
    "rxjs": "(() => { let out = []; lib.of(1, 2, 3).pipe(lib.map((x) => x * 2)).subscribe((v) => out.push(v)); "
            "return out.join(); })()",
    "semver": "lib.satisfies('1.2.3', '^1.0.0') + ' ' + lib.inc('1.2.3', 'minor')",
    "slugify": "lib('Hello World!')",
    "sprintf-js": "lib.sprintf('%05.1f|%s', 3.14159, 'x')",
    "string-width": "lib('abc')",
    "strip-ansi": "lib('\\u001b[31mred\\u001b[39m')",
    "superstruct": "lib.is(5, lib.number())",
    "turndown": "new lib().turndown('<h1>Hi</h1>')",
    "underscore": "JSON.stringify(lib.chunk([1, 2, 3], 2))",
    "uuid": "lib.validate('6ba7b810-9dad-11d1-80b4-00c04fd430c8') + ' ' + lib.v4().length",
    "validator": "lib.isEmail('a@b.co')",
    "xml2js": "typeof lib.parseString",
    "yaml": "JSON.stringify(lib.parse('a: [1, 2]'))",
    "yargs": "typeof lib",
    "yup": "lib.string().isValidSync('x')",
    "zod": "(lib.z || lib).string().safeParse(1).success",
}

SHAPE = """
function shape(v) {
  const t = typeof v;
  if (v === null || (t !== "object" && t !== "function")) return t;
  let keys = [];
  try { keys = Object.keys(v).sort(); } catch (e) { return t + " keys-error"; }
  const parts = keys.slice(0, 60).map((k) => { try { return k + ":" + typeof v[k]; } catch (e) { return k + ":!"; } });
  return t + " " + keys.length + " " + parts.join(",");
}
function main(x) {
  return x && typeof x === "object" && "default" in x &&
    (x.__esModule || Object.prototype.toString.call(x) === "[object Module]") ? x.default : x;
}
function report(kind, x, use) {
  console.log(kind, shape(x));
  const lib = main(x);
  if (lib !== x) console.log("main", shape(lib));
  if (use) {
    // only error names are printed: messages are engine wording (V8 vs QuickJS)
    try {
      Promise.resolve(use(lib)).then((v) => console.log("use", String(v)),
                                     (e) => console.log("use rejected", e && e.name));
    }
    catch (e) { console.log("use threw", e && e.name); }
  }
}
"""


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def probes(cache: Path, names: list[str]) -> list[tuple[str, str, Path]]:
    out: list[tuple[str, str, Path]] = []
    pdir = cache / "probes"
    pdir.mkdir(exist_ok=True)
    for name in names:
        use = USE.get(name)
        use_fn = f"(lib) => ({use})" if use else "null"
        esm = pdir / f"{_safe(name)}.mjs"
        esm.write_text(f"{SHAPE}\nimport * as ns from {json.dumps(name)};\nreport('esm', ns, {use_fn});\n")
        cjs = pdir / f"{_safe(name)}.cjs"
        cjs.write_text(f"{SHAPE}\nreport('cjs', require({json.dumps(name)}), {use_fn});\n")
        out += [(name, "import", esm), (name, "require", cjs)]
    return out


def run_node(cache: Path, path: Path, timeout: float) -> tuple[int | None, str]:
    try:
        p = subprocess.run(["node", str(path)], cwd=cache, capture_output=True, timeout=timeout, check=False,
                           env={"PATH": os.environ.get("PATH", ""), "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        return 124, ""
    return p.returncode, p.stdout.decode("utf-8", "replace")


def run_sandbox(cache: Path, path: Path, timeout: float, memory: int) -> tuple[int | None, str, str]:
    import secure_exec as se

    out: list[str] = []
    err: list[str] = []
    fs = se.HostFileSystem(cache, read_only=True)
    driver = se.create_node_driver(filesystem=fs, permissions=se.allow_all,
                                   process_config=se.ProcessConfig(cwd="/", env={"NO_COLOR": "1"}))
    try:
        with se.NodeRuntime(system_driver=driver, time_limit=timeout, memory_limit=memory,
                            on_stdio=lambda ev: (out if ev.channel == "stdout" else err).append(ev.data)) as rt:
            guest = "/" + path.relative_to(cache).as_posix()
            r = rt.exec(path.read_text(encoding="utf-8"), file_path=guest, cwd="/")
            return r.code, "".join(out), (r.error_message or "") + "".join(err)
    except Exception as e:
        return None, "".join(out), f"host: {type(e).__name__}: {e}"
    finally:
        fs.close_all()


def _one(job: tuple[str, str, str, float, int]) -> dict[str, Any]:
    name, mode, path, timeout, memory = job
    cache = Path(path).parent.parent
    t0 = time.monotonic()
    ncode, nout = run_node(cache, Path(path), timeout)
    t1 = time.monotonic()
    scode, sout, serr = run_sandbox(cache, Path(path), timeout, memory)
    ok = ncode == scode and nout == sout
    first_diff = ""
    if not ok:
        nl, sl = nout.splitlines(), sout.splitlines()
        i = next((k for k in range(max(len(nl), len(sl))) if k >= len(nl) or k >= len(sl) or nl[k] != sl[k]), 0)
        first_diff = (f"exit node {ncode} sandbox {scode}; node: {nl[i] if i < len(nl) else ''!r:.140} "
                      f"sandbox: {sl[i] if i < len(sl) else ''!r:.140}; err: {serr.strip().splitlines()[:1]}")
    return {"name": name, "mode": mode, "ok": ok, "node_ms": round((t1 - t0) * 1000),
            "sandbox_ms": round((time.monotonic() - t1) * 1000), "diff": first_diff}


def install(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / f, cache / f)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=cache, check=True)
    print(f"installed {len(json.loads((HERE / 'package.json').read_text())['dependencies'])} packages into {cache}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ins = sub.add_parser("install")
    ins.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    rn = sub.add_parser("run")
    rn.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    rn.add_argument("--only", help="comma-separated package names")
    rn.add_argument("--jobs", type=int, default=2)
    rn.add_argument("--timeout", type=float, default=30.0)
    rn.add_argument("--memory", type=int, default=512, help="sandbox memory limit in MB")
    rn.add_argument("--json", type=Path, help="also write every probe's result here")
    rn.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    cache = a.cache.expanduser()
    if a.cmd == "install":
        install(cache)
        return
    if not (cache / "node_modules").is_dir():
        sys.exit(f"nothing installed in {cache}: run `{Path(__file__).name} install` first")
    names = sorted(json.loads((HERE / "package.json").read_text())["dependencies"])
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    jobs = [(n, m, str(p), a.timeout, a.memory) for n, m, p in probes(cache, names)]
    results: list[dict[str, Any]] = []
    with multiprocessing.get_context("fork").Pool(a.jobs, maxtasksperchild=10) as pool:
        for r in pool.imap_unordered(_one, jobs):
            results.append(r)
            if a.verbose or not r["ok"]:
                print(f"{'ok  ' if r['ok'] else 'DIFF'} {r['name']} ({r['mode']}, {r['sandbox_ms']} ms) {r['diff']}",
                      flush=True)
    by: dict[str, dict[str, bool]] = {}
    for r in results:
        by.setdefault(r["name"], {})[r["mode"]] = r["ok"]
    both = sum(1 for v in by.values() if v.get("import") and v.get("require"))
    imp = sum(1 for v in by.values() if v.get("import"))
    req = sum(1 for v in by.values() if v.get("require"))
    print(f"\n{len(by)} packages: {both} match node both ways ({100 * both / max(len(by), 1):.1f} %), "
          f"through import {imp}, through require {req}")
    if a.json:
        a.json.write_text(json.dumps(sorted(results, key=lambda r: (r["name"], r["mode"])), indent=1))


if __name__ == "__main__":
    main()
