"""Property tests: garbage from the guest never becomes an unhandled host exception."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_exec.engine import EngineLimits, JSInstance
from secure_exec.engine.loader import ACTIVE
from secure_exec.errors import GuestError, JSError

I32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bridged_instance(**kw: Any) -> JSInstance:
    """An instance with the core bridge exposed as global ``B`` (later bootstrap files hide the global)."""
    js = JSInstance(**kw)
    js.eval_privileged("(b) => { globalThis.B = b }")
    return js



def strict_host(raw: bytes) -> tuple[bool, bytes]:
    """Like the bridge: strict JSON decode; anything else is an error reply."""
    try:
        return False, orjson.dumps({"echo": orjson.loads(raw)})
    except orjson.JSONDecodeError:
        return True, orjson.dumps(GuestError("ERR_INVALID_REQUEST", "malformed request").to_wire())


@SETTINGS
@given(req=I32, n=I32, buf=I32, cap=I32, take_dst=I32, take_n=I32, data=st.binary(max_size=300))
def test_raw_import_arguments_never_raise(req: int, n: int, buf: int, cap: int, take_dst: int, take_n: int,
                                          data: bytes) -> None:
    replies = [(False, data), (True, data)]

    def host(raw: bytes) -> tuple[bool, bytes]:
        return replies[len(raw) % 2]

    js = JSInstance(host_call=host, limits=EngineLimits(max_request_bytes=4096))
    ACTIVE.instance = js
    try:
        for name, args in (
            ("call", (req, n, buf, cap)),
            ("take", (take_dst, take_n)),
            ("load", (req, n & 0xFFF, buf, cap & 0xFFF, take_dst, take_n)),
            ("take", (take_dst, len(data))),
        ):
            r = js.on_import(name, args)
            assert isinstance(r, int)
            assert -(2**31) <= r < 2**31
    finally:
        ACTIVE.instance = None
        js.close()


_shared: dict[str, JSInstance] = {}


def _instance() -> JSInstance:
    if "js" not in _shared or _shared["js"].closed:
        _shared["js"] = bridged_instance(host_call=strict_host, limits=EngineLimits(time_limit=5))
    return _shared["js"]


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_request_strings_from_js(text: str) -> None:
    """Any JS string (lone surrogates give invalid UTF-8 on the wire) gets a reply or a JS Error."""
    js = _instance()
    js.eval_script("globalThis.lastReq = null")
    js.call_function("eval", ["globalThis.h = (s) => { try { return B.hostCall(s) } "
                              "catch (e) { return 'E:' + e.code } }"])
    r = js.call_function("h", [text])
    assert isinstance(r, str)
    bad = js.eval_script("h('\\ud800' + 'x')")
    assert bad == "E:ERR_INVALID_REQUEST"


@SETTINGS
@given(reply=st.binary(max_size=2000), is_err=st.booleans())
def test_arbitrary_reply_bytes(reply: bytes, is_err: bool) -> None:
    """Invalid UTF-8, non-JSON error replies and binary junk from the host never break the guest or host."""
    with bridged_instance(host_call=lambda raw: (is_err, reply)) as js:
        r = js.eval_script("try { typeof B.hostCall('x') } catch (e) { 'E:' + typeof e.message }")
        assert r in ("string", "E:string")
        assert js.eval_script("1+1") == 2


@SETTINGS
@given(resolved=st.text(max_size=50), source=st.text(max_size=200))
def test_arbitrary_module_loader_results(resolved: str, source: str) -> None:
    with JSInstance(module_loader=lambda spec, ref: (resolved, source)) as js:
        r = js.eval_script("import('m').then(() => 'ok', e => 'E:' + (e && e.name))")
        assert r is None or isinstance(r, str)
        assert js.eval_script("1+1") == 2


@SETTINGS
@given(text=st.text(alphabet=st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)), max_size=100))
def test_any_js_string_round_trips_to_the_host(text: str) -> None:
    """Including lone surrogates, which a JS string may hold but strict UTF-8 JSON decoders refuse."""
    js = _instance()
    # JS strings are UTF-16: a Python surrogate *pair* is the same JS string as the astral character.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    assert js.eval_script(json.dumps(text)) == text
    assert js.eval_script("'\\ud800x'") == "\ud800x"
    with pytest.raises(JSError) as ei:
        js.eval_script(f"throw new Error({json.dumps(text)})")
    assert ei.value.js_message == text
