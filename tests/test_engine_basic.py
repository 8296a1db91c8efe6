"""JSInstance behaviour: evaluation, modules, calls, errors, the host bridge, isolation. Both crossing paths."""

from __future__ import annotations

import json

import orjson
import pytest

from secure_exec.engine import EngineLimits, JSInstance
from secure_exec.errors import ConfigError, GuestError, JSError, SandboxClosed
from tests._engine_support import bridged_instance


def echo_host(raw: bytes) -> tuple[bool, bytes]:
    """A tiny stand-in for the bridge: {op, args} -> reply, 'fail' -> an EACCES error reply."""
    req = orjson.loads(raw)
    if req["op"] == "fail":
        err = GuestError("EACCES", "EACCES: permission denied, open '/secret'", syscall="open", path="/secret")
        return True, orjson.dumps(err.to_wire())
    if req["op"] == "big":
        return False, orjson.dumps("é€😀" * req["args"]["n"])
    return False, orjson.dumps({"op": req["op"], "args": req["args"]})


def test_selected_path(path: str) -> None:
    with JSInstance() as js:
        assert js.fast_path is (path == "fast")
        assert js.eval_script("1+1") == 2


def test_eval_script_json_results(path: str) -> None:
    with JSInstance() as js:
        assert js.eval_script("undefined") is None
        assert js.eval_script("({a: [1, 'x', null, true]})") == {"a": [1, "x", None, True]}
        assert js.eval_script("'é€😀'") == "é€😀"
        assert js.eval_script("(async () => 41 + 1)()") == 42
        js.eval_script("var counter = 1")
        assert js.eval_script("++counter") == 2


def test_js_exception_becomes_jserror(path: str) -> None:
    with JSInstance() as js:
        with pytest.raises(JSError) as ei:
            js.eval_script("function boom(){ throw new TypeError('bad thing') }\nboom()", "plugin.js")
        assert ei.value.name == "TypeError"
        assert ei.value.js_message == "bad thing"
        assert "plugin.js" in ei.value.stack
        with pytest.raises(JSError, match="SyntaxError"):
            js.eval_script("let = = 3")
        with pytest.raises(JSError) as ei2:
            js.eval_script("throw 42")
        assert ei2.value.js_message == "42"
        with pytest.raises(JSError, match="BigInt"):
            js.eval_script("10n")  # not JSON-safe
        assert js.eval_script("'still alive'") == "still alive"


def test_rejected_promise_is_an_error(path: str) -> None:
    with JSInstance() as js:
        with pytest.raises(JSError, match="nope"):
            js.eval_script("Promise.reject(new Error('nope'))")


def test_modules_namespace_and_calls(path: str) -> None:
    with JSInstance() as js:
        ns = js.eval_module("export const a = 1; export function twice(x) { return 2 * x }; await 0;", "main.mjs")
        assert ns == {"a": 1}
        assert js.call_function("main.mjs#twice", [21]) == 42
        with pytest.raises(JSError, match="ReferenceError"):
            js.call_function("other.mjs#twice", [1])
        with pytest.raises(JSError, match="TypeError"):
            js.call_function("main.mjs#a", [])


def test_module_top_level_await_rejection(path: str) -> None:
    with JSInstance() as js, pytest.raises(JSError, match="tla failed"):
        js.eval_module("await Promise.reject(new Error('tla failed'))", "bad.mjs")


def test_module_loader_decides_imports(path: str) -> None:
    seen: list[tuple[str, str]] = []

    def loader(spec: str, referrer: str) -> tuple[str, str]:
        seen.append((spec, referrer))
        if spec == "lib":
            return "lib.mjs", "export const v = 7; export function inc(x) { return x + 1 }"
        raise GuestError("ERR_MODULE_NOT_FOUND", f"Cannot find module '{spec}'")

    with JSInstance(module_loader=loader) as js:
        assert js.eval_module("import {v, inc} from 'lib'; export const r = inc(v);", "main.mjs") == {"r": 8}
        assert seen == [("lib", "main.mjs")]
        with pytest.raises(JSError) as ei:
            js.eval_module("import 'node:fs'", "m2.mjs")
        assert "Cannot find module 'node:fs'" in ei.value.js_message
        code = js.eval_script("import('node:fs').then(() => 'loaded', e => e.code)")
        assert code == "ERR_MODULE_NOT_FOUND"


def test_no_module_loader_refuses_imports(path: str) -> None:
    with JSInstance() as js, pytest.raises(JSError, match="module loading is disabled"):
        js.eval_module("import 'x'", "m.mjs")


def test_call_function_awaits_promises_and_checks_input(path: str) -> None:
    with JSInstance() as js:
        js.eval_script("globalThis.add = async (a, b) => a + b; globalThis.obj = {x: 1}")
        assert js.call_function("add", [1, 2]) == 3
        assert js.call_function("add", ["a", "b"]) == "ab"
        with pytest.raises(JSError, match="not a function"):
            js.call_function("obj", [])
        with pytest.raises(JSError, match="not a function"):
            js.call_function("missing", [])
        with pytest.raises(ConfigError, match="JSON"):
            js.call_function("add", [object()])
        with pytest.raises(ConfigError, match="NUL"):
            js.call_function("a\0b", [])
        with pytest.raises(ConfigError):
            js.eval_script(123)  # type: ignore[arg-type]
        js.eval_script("globalThis.never = () => new Promise(() => {})")
        with pytest.raises(JSError, match="did not settle"):
            js.call_function("never", [])


def test_raw_primitive_is_hidden_and_bridge_is_frozen(path: str) -> None:
    with JSInstance() as js:
        assert js.eval_script("typeof __se_host_call") == "undefined"
        assert js.eval_script("Object.getOwnPropertyNames(globalThis).filter(n => /host_call/i.test(n))") == []
        assert js.eval_script("typeof __se_register_bridge") == "undefined"
        assert js.eval_privileged("(b) => Object.isFrozen(b) && typeof b.hostCall") == "function"
        # visible or hidden by a later bootstrap file, it is never enumerable
        assert js.eval_script("Object.keys(globalThis).includes('__secure_exec_bridge')") is False
        with pytest.raises(JSError, match="must evaluate to a function"):
            js.eval_privileged("42")


def test_host_call_round_trip_and_errors(path: str) -> None:
    with bridged_instance(host_call=echo_host) as js:
        assert js.eval_script("B.call('fs.read', {p: 'é'})") == {"op": "fs.read", "args": {"p": "é"}}
        err = js.eval_script(
            "try { B.call('fail', {}) } catch (e) {"
            " ({name: e.name, code: e.code, msg: e.message, errno: e.errno, path: e.path, isErr: e instanceof Error}) }"
        )
        assert err == {
            "name": "Error",
            "code": "EACCES",
            "msg": "EACCES: permission denied, open '/secret'",
            "errno": -13,
            "path": "/secret",
            "isErr": True,
        }


def test_large_reply_goes_through_take(path: str) -> None:
    with bridged_instance(host_call=echo_host) as js:
        n = 40_000  # ~360 KB: far above the 64 KiB in-place reply buffer
        assert js.eval_script(f"B.call('big', {{n: {n}}}).length") == 4 * n
        assert js.eval_script("B.call('big', {n: 3})") == "é€😀" * 3


def test_host_bug_is_plain_eio(path: str) -> None:
    def broken(raw: bytes) -> tuple[bool, bytes]:
        raise RuntimeError("secret host detail /etc/passwd")

    with bridged_instance(host_call=broken) as js:
        r = js.eval_script("try { B.hostCall('x') } catch (e) { [e.code, e.message, e.stack] }")
        assert r[0] == "EIO"
        assert "secret" not in json.dumps(r) and "passwd" not in json.dumps(r)


def test_bad_reply_types_are_eio(path: str) -> None:
    with bridged_instance(host_call=lambda raw: (False, "not bytes")) as js:  # type: ignore[arg-type,return-value]
        assert js.eval_script("try { B.hostCall('x') } catch (e) { e.code }") == "EIO"


def test_no_host_bridge_configured(path: str) -> None:
    with bridged_instance() as js:
        assert js.eval_script("try { B.hostCall('x') } catch (e) { e.code }") == "ENOSYS"


def test_reentry_from_host_call_is_refused(path: str) -> None:
    holder: list[JSInstance] = []

    def reenter(raw: bytes) -> tuple[bool, bytes]:
        holder[0].eval_script("1")  # raises SandboxBusy -> the guest sees EIO
        return False, b"1"

    with bridged_instance(host_call=reenter) as js:
        holder.append(js)
        assert js.eval_script("try { B.hostCall('x') } catch (e) { e.code }") == "EIO"
        assert js.eval_script("2+2") == 4


def test_async_settle_mechanism(path: str) -> None:
    with bridged_instance() as js:
        js.eval_script(
            "globalThis.out = []; const d = B.defer(); globalThis.pid = d.id;"
            "d.promise.then(v => out.push(['ok', v]), e => out.push(['err', e.code, e.message]));"
            "const d2 = B.defer(); globalThis.pid2 = d2.id;"
            "d2.promise.then(v => out.push(['ok', v]), e => out.push(['err', e.code, e.message]));"
        )
        pid, pid2 = js.eval_script("[pid, pid2]")
        assert js.call_function("__se_settle", [pid, True, {"body": "hi"}]) is True
        assert js.call_function("__se_settle", [pid, True, 1]) is False  # already settled
        assert js.call_function("__se_settle", [pid2, False, {"code": "ECONNREFUSED", "message": "refused"}]) is True
        js.run_jobs()
        assert js.eval_script("out") == [["ok", {"body": "hi"}], ["err", "ECONNREFUSED", "refused"]]
        assert js.eval_script("B.pendingCount()") == 0


def test_run_jobs_counts(path: str) -> None:
    with JSInstance() as js:
        js.eval_script("globalThis.s = 0")
        assert js.run_jobs() == 0
        js.eval_script("globalThis.s = 0; queueMicrotask(() => s++); queueMicrotask(() => s++); 0")
        assert js.eval_script("s") == 2  # eval drains the job queue before returning


def test_math_random_differs_between_sandboxes(path: str) -> None:
    values = set()
    for _ in range(4):
        with JSInstance() as js:
            values.add(js.eval_script("Math.random()"))
    assert len(values) == 4


def test_sandboxes_are_isolated(path: str) -> None:
    with JSInstance() as a, JSInstance() as b:
        a.eval_script("globalThis.secret = 'a'")
        assert b.eval_script("typeof secret") == "undefined"


def test_memory_usage_reports_js_heap(path: str) -> None:
    with JSInstance() as js:
        before = js.memory_usage()
        js.eval_script("globalThis.big = 'y'.repeat(4 << 20)")
        assert js.memory_usage() >= before + (4 << 20)
        js.eval_script("big = null")
        js.gc()
        assert js.memory_usage() < before + (1 << 20)


def test_closed_instance_refuses_use(path: str) -> None:
    js = JSInstance()
    js.close()
    assert js.closed
    with pytest.raises(SandboxClosed):
        js.eval_script("1")


def test_limits_validation() -> None:
    with pytest.raises(ConfigError, match="time_limit"):
        EngineLimits(time_limit=0)
    with pytest.raises(ConfigError, match="memory_limit"):
        EngineLimits(memory_limit=1024)
    with pytest.raises(ConfigError, match="stack_limit"):
        EngineLimits(stack_limit=2 << 20)
    with pytest.raises(ConfigError, match="limits"):
        JSInstance(limits={"time_limit": 1})  # type: ignore[arg-type]
    assert EngineLimits(time_limit=None).budget_ns == 0
