"""The bridge's decoder and dispatcher against hostile and malformed guest input."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.bridge.paths import guest_path
from secure_exec.bridge.protocol import decode_request
from secure_exec.errors import ConfigError, GuestError


def _echo(ctx: None, args: dict[str, Any]) -> Any:
    return {"echo": args}


def _boom(ctx: None, args: dict[str, Any]) -> Any:
    raise RuntimeError("secret host detail /home/alice/.ssh/id_rsa")


def _deny(ctx: None, args: dict[str, Any]) -> Any:
    raise GuestError("EACCES", "EACCES: permission denied, open '/secret.txt'", syscall="open", path="/secret.txt")


def make() -> Dispatcher[None]:
    d: Dispatcher[None] = Dispatcher(max_request_bytes=1024)
    d.register("test.echo", _echo, exempt="pure echo used by the tests; touches nothing")
    d.register("test.boom", _boom, exempt="raises a host exception on purpose, for the tests")
    d.register("fs.read", _deny, capability="fs")
    return d


def test_round_trip() -> None:
    err, out = make().handle(None, b'{"op":"test.echo","args":{"a":[1,"x"]}}')
    assert not err and orjson.loads(out) == {"echo": {"a": [1, "x"]}}


def test_unknown_op_is_a_clear_error() -> None:
    err, out = make().handle(None, b'{"op":"nope.nothing"}')
    assert err and orjson.loads(out)["code"] == "ERR_UNKNOWN_OP"
    assert "nope.nothing" in orjson.loads(out)["message"]


def test_guest_error_keeps_node_shape() -> None:
    err, out = make().handle(None, b'{"op":"fs.read","args":{}}')
    e = orjson.loads(out)
    assert err and e == {
        "code": "EACCES", "errno": -13, "syscall": "open", "path": "/secret.txt", "name": "Error",
        "message": "EACCES: permission denied, open '/secret.txt'",
    }


def test_host_exception_is_sanitised() -> None:
    err, out = make().handle(None, b'{"op":"test.boom"}')
    assert err
    assert orjson.loads(out)["code"] == "EIO"
    assert b"alice" not in out and b"RuntimeError" not in out and b"Traceback" not in out


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"x" * 2000, "ERR_PAYLOAD_TOO_LARGE"),
        (b"\xff\xfe{}", "ERR_INVALID_REQUEST"),
        (b'{"op": 1}', "ERR_INVALID_REQUEST"),
        (b"[]", "ERR_INVALID_REQUEST"),
        (b'{"op":"test.echo","args":[1]}', "ERR_INVALID_REQUEST"),
        (b'{"op":"test.echo","args":' + b'{"a":' * 40 + b"1" + b"}" * 41, "ERR_INVALID_REQUEST"),
        (b'{"op":"' + b"a" * 100 + b'"}', "ERR_INVALID_REQUEST"),
    ],
)
def test_malformed_requests(raw: bytes, code: str) -> None:
    err, out = make().handle(None, raw)
    assert err and orjson.loads(out)["code"] == code


@settings(max_examples=400)
@given(st.binary(max_size=300))
def test_garbage_bytes_never_raise(raw: bytes) -> None:
    _err, out = make().handle(None, raw)
    orjson.loads(out)  # always a JSON reply


_text = st.characters(exclude_categories=("Cs",))  # lone surrogates cannot be JSON-encoded at all
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(_text, max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(_text, max_size=5), kids, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(["op", "args", "x"]), json_values, max_size=3))
def test_garbage_json_never_raises(obj: dict[str, Any]) -> None:
    err, out = make().handle(None, orjson.dumps(obj))
    reply = orjson.loads(out)
    if err:
        assert isinstance(reply["code"], str) and isinstance(reply["message"], str)


def test_registration_requires_gate_or_reason() -> None:
    d: Dispatcher[None] = Dispatcher()
    with pytest.raises(ConfigError):
        d.register("x", _echo)
    with pytest.raises(ConfigError):
        d.register("x", _echo, capability="fs", exempt="both given is ambiguous")
    with pytest.raises(ConfigError):
        d.register("x", _echo, exempt="short")
    with pytest.raises(ConfigError):
        d.register("x", _echo, capability="gpu")
    d.register("x", _echo, capability="env")
    with pytest.raises(ConfigError):
        d.register("x", _echo, capability="env")


def test_decode_depth_cap_is_exact() -> None:
    ok = b'{"op":"a","args":{"k":' + b"[" * 31 + b"]" * 31 + b"}}"
    assert decode_request(ok, max_bytes=10_000)[0] == "a"
    bad = b'{"op":"a","args":{"k":' + b"[" * 32 + b"]" * 32 + b"}}"
    with pytest.raises(GuestError):
        decode_request(bad, max_bytes=10_000)


@pytest.mark.parametrize(
    "raw, cwd, expected",
    [
        ("/a/b/../c", "/", "/a/c"),
        ("x/./y", "/work", "/work/x/y"),
        ("../../..", "/w", "/"),
        ("//etc//passwd", "/", "/etc/passwd"),
    ],
)
def test_guest_path_normalises(raw: str, cwd: str, expected: str) -> None:
    assert guest_path(raw, cwd=cwd, syscall="open") == expected


@pytest.mark.parametrize(
    "raw, code",
    [("a\x00b", "ERR_INVALID_ARG_VALUE"), ("/" + "a" * 300, "ENAMETOOLONG"),
     ("/a" * 2100, "ENAMETOOLONG"), (5, "ERR_INVALID_ARG_TYPE"), ("", "ENOENT")],
)
def test_guest_path_refusals(raw: Any, code: str) -> None:
    with pytest.raises(GuestError) as ei:
        guest_path(raw, cwd="/", syscall="open")
    assert ei.value.code == code
