"""The built shim inside the real engine (QuickJS-NG in wasmtime), with a tiny Python stand-in for
the bridge: proves the bundle needs nothing QuickJS lacks and works over 00-core.js's bridge."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import orjson
import pytest

from secure_exec.errors import GuestError
from secure_exec.runtime.guest import BUNDLE_PATH, esm_commonjs_wrapper_source, esm_wrapper_source, is_builtin

engine = pytest.importorskip("secure_exec.engine")


class FakeHost:
    """Enough ops for the script below; anything else is ENOSYS. Records every op."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.stdout: list[str] = []
        self.files = {"/data/a.txt": b"hello", "/data/lib.cjs": b"module.exports = { twice: (x) => 2 * x };"}

    def __call__(self, raw: bytes) -> tuple[bool, bytes]:
        req = orjson.loads(raw)
        op, a = req["op"], req.get("args", {})
        self.ops.append(op)
        try:
            return False, orjson.dumps(self.handle(op, a))
        except GuestError as e:
            return True, orjson.dumps(e.to_wire())

    def handle(self, op: str, a: dict[str, Any]) -> Any:
        if op == "stdio.write":
            self.stdout.append(a["data"])
            return {}
        if op == "process.config":
            return {"cwd": "/data", "argv": ["node", "/data/main.js"], "platform": "linux"}
        if op == "env.get":
            return {"value": {"HOME": "/home/u"}.get(a["key"])}
        if op == "fs.readFile":
            if a["path"] in self.files:
                if a.get("encoding") == "utf8":
                    return {"text": self.files[a["path"]].decode("utf-8", "replace")}
                return {"data_b64": base64.b64encode(self.files[a["path"]]).decode()}
            raise GuestError("EACCES", "denied by test policy", syscall="open", path=a["path"])
        if op == "module.read":  # the CommonJS loader's "import" decision (fs_ops.module_read)
            if a["path"] in self.files:
                return {"text": self.files[a["path"]].decode("utf-8", "replace")}
            raise GuestError("EACCES", "denied by test policy", syscall="open", path=a["path"])
        if op == "module.stat":  # absent or refused: {"kind": None}, as fs_ops.module_stat answers
            return {"kind": "file" if a["path"] in self.files else None}
        if op == "fs.stat":
            if a["path"] in self.files:
                return {"kind": "file", "size": len(self.files[a["path"]]), "mode": 0o644, "mtimeMs": 0}
            raise GuestError("ENOENT", "ENOENT: no such file or directory", syscall="stat", path=a["path"])
        if op == "crypto.hash":
            digest = hashlib.new(a["alg"], base64.b64decode(a["data_b64"])).digest()
            return {"digest_b64": base64.b64encode(digest).decode()}
        raise GuestError("ENOSYS", f"ENOSYS: function not implemented, {op}")


SCRIPT = r"""
const fs = require('node:fs');
console.log(fs.readFileSync('/data/a.txt', 'utf8'));
try { fs.readFileSync('/etc/passwd'); }
catch (e) { console.log(e instanceof Error, e.code, e.errno, e.syscall, e.path); console.log(e.message); }
console.log(process.env.HOME, process.env.SECRET, process.cwd(), process.argv[1]);
console.log(require('util').inspect({ a: [1, 'two', { three: 3 }], m: new Map([[1, 2]]), b: Buffer.from('hi') }));
console.log(require('path').relative('/a/b', '/a/c/d'), new URL('HTTPS://Ex.COM/x/../y?q=1#h').href);
console.log(new TextDecoder().decode(new TextEncoder().encode('h\u20acllo')),
  structuredClone({ d: new Date(0) }).d.getTime());
console.log(require('crypto').createHash('sha256').update('abc').digest('hex'));
const order = [];
setTimeout(() => { order.push('timeout'); console.log(order.join(' ')); }, 5);
setImmediate(() => order.push('immediate'));
process.nextTick(() => order.push('tick'));
Promise.resolve().then(() => order.push('micro'));
try { require('vm'); } catch (e) { console.log(e.message); }
console.log(typeof __se_hostcall, typeof __secure_exec_bridge, typeof Intl);
"""


def run(host: FakeHost) -> list[str]:
    with engine.JSInstance(host_call=host) as js:
        # Once the engine build bakes 50-node.js into its snapshot the shim is already there;
        # before that, evaluate the bundle here exactly as the bootstrap would.
        if js.eval_script("typeof __se_tick") != "function":
            js.eval_script(BUNDLE_PATH.read_text(encoding="utf-8"), "50-node.js")
        assert host.ops == []  # loading the shim asks the host nothing
        js.call_function("__se_cjs", ["/data/main.js", SCRIPT])
        now = 0.0
        for _ in range(100):
            js.run_jobs()
            delay = js.eval_script(f"__se_tick({now})")
            js.run_jobs()
            if not js.eval_script("__se_pending()"):
                break
            now += max(float(delay), 0.0)
        assert js.eval_script("__se_finish()") == 0
    return "".join(host.stdout).splitlines()


def test_shim_runs_in_quickjs() -> None:
    host = FakeHost()
    lines = run(host)
    assert lines == [
        "hello",
        "true EACCES -13 open /etc/passwd",
        "EACCES: permission denied, open '/etc/passwd': denied by test policy",
        "/home/u undefined /data /data/main.js",
        "{",
        "  a: [ 1, 'two', { three: 3 } ],",
        "  m: Map(1) { 1 => 2 },",
        "  b: <Buffer 68 69>",
        "}",
        "../c/d https://ex.com/y?q=1#h",
        "h\u20acllo 0",
        hashlib.sha256(b"abc").hexdigest(),
        "vm is not supported in sandbox",
        "undefined undefined undefined",
        "tick micro immediate timeout",
    ]
    assert host.ops.count("process.config") == 1  # fetched lazily, once


def builtin_loader(specifier: str, referrer: str) -> tuple[str, str]:
    """The engine's module loader for built-ins only: node:* never touches the file system."""
    if specifier.startswith("node:") or is_builtin(specifier):
        name = specifier if specifier.startswith("node:") else f"node:{specifier}"
        return name, esm_wrapper_source(specifier)
    if specifier.endswith(".cjs"):
        return specifier, esm_commonjs_wrapper_source(specifier)
    raise GuestError("ERR_MODULE_NOT_FOUND", f"Cannot find module '{specifier}' imported from {referrer}")


ESM = """
import fs, { readFileSync } from "node:fs";
import path from "path";
import { EventEmitter } from "node:events";
export const text = readFileSync("/data/a.txt", "utf8");
export const same = fs.readFileSync === readFileSync && typeof EventEmitter === "function";
export const joined = path.join("a", "..", "b");
export let refused = "";
try { await import("node:net"); } catch (e) { refused = e.message; }
export let unknown = "";
try { await import("node:nope"); } catch (e) { unknown = e.code; }
"""


def test_esm_imports_of_builtins_in_quickjs() -> None:
    host = FakeHost()
    with engine.JSInstance(host_call=host, module_loader=builtin_loader) as js:
        if js.eval_script("typeof __se_tick") != "function":
            js.eval_script(BUNDLE_PATH.read_text(encoding="utf-8"), "50-node.js")
        ns = js.eval_module(ESM, "/data/entry.mjs")
    assert ns == {
        "text": "hello",
        "same": True,
        "joined": "b",
        "refused": "net is not supported in sandbox",
        "unknown": "ERR_UNKNOWN_BUILTIN_MODULE",
    }


def test_esm_imports_commonjs_in_quickjs() -> None:
    host = FakeHost()
    with engine.JSInstance(host_call=host, module_loader=builtin_loader) as js:
        if js.eval_script("typeof __se_tick") != "function":
            js.eval_script(BUNDLE_PATH.read_text(encoding="utf-8"), "50-node.js")
        elif js.eval_script("typeof __se_require") != "function":
            pytest.skip("the engine's snapshot bakes an older 50-node.js: rebuild sandbox.wasm")
        ns = js.eval_module('import lib from "/data/lib.cjs"; export const doubled = lib.twice(21);', "/data/e.mjs")
    assert ns == {"doubled": 42}
    assert "module.read" in host.ops  # the CommonJS file is read through the policy-checked "import" op


CODECS = r"""
const s = 'x'.repeat(5000) + '\u20ac\ud83d\ude00';
const b = Buffer.from(s);
const e = b.toString('base64');
const d = Buffer.from(e, 'base64');
JSON.stringify([
  d.toString('utf8') === s, Buffer.isBuffer(d) && d.equals(b), b.length,
  Buffer.from('aGk\n=', 'base64').toString() + Buffer.from('aGk', 'base64').toString()
    + Buffer.from('a-_Gk', 'base64').length,
  Buffer.from('-_8', 'base64url').toString('hex'), Buffer.from([0xfb, 0xff]).toString('base64url'),
  Buffer.from('hello world').toString('base64', 6), Buffer.from('hello').toString('hex', 1, 3),
  Buffer.from([0xe9, 0x41]).toString('latin1'), Buffer.from('a\ud800b'.repeat(30)).length,
])
"""


def test_buffer_codecs_in_quickjs() -> None:
    # In QuickJS these take the native fromBase64/toBase64/URI-function fast paths; results must
    # be exactly Node's (the expected values are what node v20 prints).
    with engine.JSInstance(host_call=FakeHost()) as js:
        if js.eval_script("typeof __se_tick") != "function":
            js.eval_script(BUNDLE_PATH.read_text(encoding="utf-8"), "50-node.js")
        got = json.loads(js.eval_script(CODECS))
    assert got == [True, True, 5007, "hihi3", "fbff", "-_8", "d29ybGQ=", "656c", "\u00e9A", 150]
