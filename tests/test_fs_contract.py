"""Every fs op in the bridge's table is decided on the handle it acts on (``fs_ops.OP_TABLE``).

The table says, for each op, whether the provider acts on the *target* a path leads to (links
followed), on the *entry* itself (the link, not what it points at), or on a *descriptor*. Here
each op is called through the dispatcher on a link planted in an allowed folder that points
outside it, on every provider: a "target" op must be refused with the outside location as the
denied resource; an "entry" op must act on the link alone and decide only on allowed places; a
"descriptor" op must act on the descriptor its open decided, whatever the path now names. A new
op without a case here fails ``test_every_op_has_a_case``.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

import secure_exec as se
from secure_exec.runtime.config import ProcessConfig
from secure_exec.runtime.node_runtime import NodeRuntime
from secure_exec.runtime.ops.fs_ops import OP_TABLE

W = "/workspace"
CASES: dict[str, dict[str, Any]] = {
    # op: args (L -> /outside/t, a file; LD -> /outside/d, a folder)
    "fs.readFile": {"path": f"{W}/L", "encoding": "utf8"},
    "fs.writeFile": {"path": f"{W}/L", "data_b64": "eA=="},
    "fs.mkdir": {"path": f"{W}/LD/new", "recursive": True},
    "fs.readdir": {"path": f"{W}/LD"},
    "fs.stat": {"path": f"{W}/L"},
    "fs.access": {"path": f"{W}/L"},
    "fs.unlink": {"path": f"{W}/L"},
    "fs.rmdir": {"path": f"{W}/LD"},
    "fs.rm": {"path": f"{W}/LD", "recursive": True},
    "fs.readlink": {"path": f"{W}/L"},
    "fs.realpath": {"path": f"{W}/L"},
    "fs.chmod": {"path": f"{W}/L", "mode": 0o600},
    "fs.chown": {"path": f"{W}/L", "uid": 0, "gid": 0},
    "fs.utimes": {"path": f"{W}/L", "atime_ms": 1000, "mtime_ms": 1000},
    "fs.truncate": {"path": f"{W}/L", "len": 0},
    "fs.rename": {"from": f"{W}/L", "to": f"{W}/M"},
    "fs.copyFile": {"from": f"{W}/p", "to": f"{W}/L"},
    "fs.link": {"existing": f"{W}/L", "path": f"{W}/H"},
    "fs.symlink": {"target": f"{W}/p", "path": f"{W}/LD/new"},
    "fs.open": {"path": f"{W}/L", "flags": "r+"},
    "module.stat": {"path": f"{W}/L"},
    "module.read": {"path": f"{W}/L"},
}
# these walk *through* a link to a folder: what they create or list is outside, so they are refused
THROUGH_LINK = {"fs.mkdir", "fs.readdir", "fs.symlink"}
DESCRIPTOR_CASES: dict[str, dict[str, Any]] = {
    "fs.read": {"length": 64, "position": 0},
    "fs.write": {"data_b64": "eHh4", "position": 0},
    "fs.fstat": {},
    "fs.ftruncate": {"len": 0},
    "fs.close": {},
}


@pytest.fixture
def world(each_fs: Any) -> Any:
    fs = each_fs
    fs.mkdir("/outside/d", recursive=True)
    fs.write_file("/outside/t", "outside")
    fs.write_file("/outside/d/inner", "inner")
    fs.mkdir(W)
    fs.write_file(f"{W}/p", "payload")
    fs.write_file(f"{W}/f", "mine")
    fs.symlink("/outside/t", f"{W}/L")
    fs.symlink("/outside/d", f"{W}/LD")
    return fs


def _session(fs: Any) -> tuple[NodeRuntime, Any]:
    policy = se.Policy(rules=[se.Rule("fs", "allow", id="ws", paths=[f"{W}/**", W])])
    rt = NodeRuntime(system_driver=se.create_node_driver(filesystem=fs, policy=policy,
                                                         process_config=ProcessConfig()),
                     audit_log=se.AuditLog.null())
    return rt, rt.new_session(rt.driver.process_config, None, b"")


def _call(rt: NodeRuntime, s: Any, op: str, args: dict[str, Any]) -> tuple[bool, Any]:
    is_err, reply = rt.dispatcher.handle(s, orjson.dumps({"op": op, "args": args}))
    return is_err, orjson.loads(reply)


def _decisions(rt: NodeRuntime) -> list[dict[str, Any]]:
    assert rt.audit_log.memory is not None
    return [dict(e) for e in rt.audit_log.memory.events if e["event"] == "permission.checked"]


def test_every_op_has_a_case() -> None:
    assert set(OP_TABLE) == set(CASES) | set(DESCRIPTOR_CASES)
    assert {op for op, h in OP_TABLE.items() if h == "descriptor"} == set(DESCRIPTOR_CASES)


@pytest.mark.parametrize("op", sorted(CASES))
def test_op_is_decided_on_the_handle_it_acts_on(world: Any, op: str) -> None:
    rt, s = _session(world)
    try:
        is_err, reply = _call(rt, s, op, CASES[op])
    finally:
        s.close()
    decisions = _decisions(rt)
    assert decisions, op
    outside_intact = (world.read_file("/outside/t") == b"outside" and world.read_file("/outside/d/inner") == b"inner"
                      and [e.name for e in world.readdir("/outside/d")] == ["inner"])
    assert outside_intact, op
    if OP_TABLE[op] == "target" or op in THROUGH_LINK:
        refused = reply == {"kind": None} if op == "module.stat" else is_err and reply["code"] == "EACCES"
        assert refused, (op, reply)
        denied = [e for e in decisions if e["decision"] == "deny"]
        assert denied and denied[0]["resource"].startswith("/outside"), (op, denied)
        assert all(e["resource"].startswith("/outside") for e in denied)
    else:
        # an entry op acts on the link itself: only allowed places are decided, nothing outside changes
        assert all(e["resource"].startswith(W) and e["decision"] == "allow" for e in decisions), (op, decisions)
        assert not (is_err and reply["code"] == "EACCES"), (op, reply)


@pytest.mark.parametrize("op", sorted(DESCRIPTOR_CASES))
def test_descriptor_op_acts_on_the_descriptor_not_its_path(world: Any, op: str) -> None:
    rt, s = _session(world)
    try:
        is_err, reply = _call(rt, s, "fs.open", {"path": f"{W}/f", "flags": "r+"})
        assert not is_err, reply
        fd = reply["fd"]
        # the path now names something else: a link to a file outside the grant
        assert not _call(rt, s, "fs.unlink", {"path": f"{W}/f"})[0]
        assert not _call(rt, s, "fs.rename", {"from": f"{W}/L", "to": f"{W}/f"})[0]
        is_err, reply = _call(rt, s, op, {"fd": fd, **DESCRIPTOR_CASES[op]})
        assert not is_err, (op, reply)
        if op == "fs.read":
            assert reply["data_b64"] == "bWluZQ=="  # "mine": the descriptor's own file
        if op == "fs.fstat":
            assert reply["size"] == len("mine")
    finally:
        s.close()
    assert world.read_file("/outside/t") == b"outside"
    op_ids = {e["op_id"] for e in _decisions(rt) if e["resource"] == f"{W}/f" and e["op"] in ("read", "write")}
    if op != "fs.close":
        assert rt.audit_log.memory is not None
        done = [e for e in rt.audit_log.memory.events
                if e["event"] != "permission.checked" and e.get("op_id") in op_ids]
        assert len(done) >= 2 and done[-1]["resource"] == f"{W}/f", done  # the open's outcome, then this op's


def test_tree_ops_check_the_run_deadline_between_steps(world: Any) -> None:
    """A recursive rm decides entry by entry; once the run's deadline passes it stops, before removing."""
    world.mkdir(f"{W}/big")
    for i in range(300):
        world.write_file(f"{W}/big/f{i}", "x")
    state: dict[str, Any] = {"calls": 0, "session": None}

    def fs_check(req: Any) -> se.Decision:
        state["calls"] += 1
        if state["calls"] == 50:  # time passes while the tree is being decided
            state["session"].scope.deadline = time.monotonic() - 1.0
        return se.Decision(allow=req.path.startswith(W))

    rt = NodeRuntime(system_driver=se.create_node_driver(filesystem=world, permissions={"fs": fs_check},
                                                         process_config=ProcessConfig()),
                     audit_log=se.AuditLog.null())
    s = rt.new_session(rt.driver.process_config, None, b"")
    state["session"] = s
    try:
        is_err, reply = _call(rt, s, "fs.rm", {"path": f"{W}/big", "recursive": True})
    finally:
        s.scope.deadline = None
        s.close()
    assert is_err and reply["code"] == "ETIMEDOUT", reply
    assert 50 <= state["calls"] < 60  # stopped at the next step, not at the end of the tree
    assert len(world.readdir(f"{W}/big")) == 300  # nothing removed: every entry is decided first


def test_a_link_loop_is_absent_to_the_loader_not_an_error(world: Any) -> None:
    """exists() with a guest's check re-raises ELOOP, so the bridge decides on the lexical path first."""
    world.symlink(f"{W}/loop", f"{W}/loop")
    rt, s = _session(world)
    try:
        assert _call(rt, s, "module.stat", {"path": f"{W}/loop"}) == (False, {"kind": None})
        from secure_exec.runtime.ops.fs_ops import module_exists
        assert module_exists(s, f"{W}/loop") is False
        is_err, reply = _call(rt, s, "fs.access", {"path": f"{W}/loop"})
        assert is_err and reply["code"] == "ELOOP"
    finally:
        s.close()
