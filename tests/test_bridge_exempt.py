"""Every bridge op is gated (policy-checked and audited) or on the written exempt list.

A new op must either appear in GATED_SAMPLES (and then this test proves that a deny-all policy
refuses it and that the refusal is audited) or in EXPECTED_EXEMPT with its reason in the code.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import secure_exec as se
from secure_exec.host.hostfns import HostFunctionTable
from secure_exec.host.hostfns import register as register_hostfns
from secure_exec.providers.types import ProviderContext
from secure_exec.runtime.config import ProcessConfig
from secure_exec.runtime.node_runtime import NodeRuntime

EXPECTED_EXEMPT = {
    "process.config", "process.exit", "stdio.write", "stdio.read", "crypto.random", "crypto.hash", "crypto.hmac",
    "fs.read", "fs.write", "fs.close", "fs.fstat", "fs.ftruncate", "hostfn.names",
}

GATED_SAMPLES: dict[str, dict[str, Any]] = {
    "fs.readFile": {"path": "/f.txt"},
    "fs.writeFile": {"path": "/f.txt", "data_b64": "eA=="},
    "fs.mkdir": {"path": "/d", "recursive": True},
    "fs.readdir": {"path": "/"},
    "fs.stat": {"path": "/f.txt"},
    "fs.access": {"path": "/f.txt"},
    "fs.unlink": {"path": "/f.txt"},
    "fs.rmdir": {"path": "/d"},
    "fs.rm": {"path": "/f.txt"},
    "fs.readlink": {"path": "/f.txt"},
    "fs.realpath": {"path": "/f.txt"},
    "fs.chmod": {"path": "/f.txt", "mode": 0o600},
    "fs.chown": {"path": "/f.txt", "uid": 0, "gid": 0},
    "fs.utimes": {"path": "/f.txt", "atime_ms": 0, "mtime_ms": 0},
    "fs.truncate": {"path": "/f.txt", "len": 0},
    "fs.rename": {"from": "/f.txt", "to": "/g.txt"},
    "fs.copyFile": {"from": "/f.txt", "to": "/g.txt"},
    "fs.link": {"existing": "/f.txt", "path": "/g.txt"},
    "fs.symlink": {"target": "/f.txt", "path": "/g.txt"},
    "fs.open": {"path": "/f.txt", "flags": "r"},
    "module.stat": {"path": "/f.txt"},
    "module.read": {"path": "/f.txt"},
    "process.chdir": {"path": "/"},
    "env.get": {"key": "HOME"},
    "env.keys": {},
    "env.set": {"key": "HOME", "value": "x"},
    "env.delete": {"key": "HOME"},
    "proc.spawnSync": {"command": "echo", "args": ["x"]},
    "proc.spawn.start": {"id": 1, "command": "echo", "args": ["x"]},
    "net.fetch.start": {"id": 2, "url": "http://127.0.0.1:9/", "method": "GET", "headers": []},
    "dns.lookup": {"hostname": "localhost"},
    "hostfn.call": {"name": "secret_tool", "args": []},
    "hostfn.start": {"id": 3, "name": "secret_tool", "args": []},
}
ABSENT_NOT_ERROR = {"env.get": {"value": None}, "env.keys": {"keys": []}, "module.stat": {"kind": None}}


def _runtime() -> NodeRuntime:
    fs = se.create_in_memory_file_system()
    fs.write_file("/f.txt", "data")
    rt = NodeRuntime(system_driver=se.create_node_driver(
        filesystem=fs, policy=se.Policy(name="deny-all"), command_executor=se.create_command_executor(),
        process_config=ProcessConfig(env={"HOME": "/root"})), audit_log=se.AuditLog.null())
    register_hostfns(rt.dispatcher, HostFunctionTable({}, policy_digest=rt.driver.policy.digest))
    return rt


def test_every_op_is_gated_or_listed_exempt() -> None:
    ops = _runtime().dispatcher.ops
    exempt = {name for name, spec in ops.items() if spec.capability is None}
    gated = {name for name, spec in ops.items() if spec.capability is not None}
    assert exempt == EXPECTED_EXEMPT
    assert gated == set(GATED_SAMPLES)
    for name in exempt:
        assert ops[name].exempt_reason and len(ops[name].exempt_reason or "") >= 20


@pytest.mark.parametrize("op", sorted(GATED_SAMPLES))
def test_gated_op_is_refused_and_audited_under_deny_all(op: str) -> None:
    rt = _runtime()
    s = rt.new_session(rt.driver.process_config, None, b"")
    try:
        is_err, reply = rt.dispatcher.handle(s, orjson.dumps({"op": op, "args": GATED_SAMPLES[op]}))
        if op.endswith(".start") and not is_err:  # async: the refusal arrives with the settled promise
            fut = s.async_ops[GATED_SAMPLES[op]["id"]].future
            with pytest.raises(se.GuestError) as ei:
                fut.result(timeout=10)
            assert ei.value.code == "EACCES"
        elif op in ABSENT_NOT_ERROR:
            assert not is_err and orjson.loads(reply) == ABSENT_NOT_ERROR[op]
        else:
            assert is_err, (op, reply)
            assert orjson.loads(reply)["code"] == "EACCES", (op, reply)
    finally:
        s.close()
    assert rt.audit_log.memory is not None
    decisions = [e for e in rt.audit_log.memory.events if e["event"] == "permission.checked"]
    assert decisions and all(e["decision"] == "deny" for e in decisions), (op, decisions)
    # (a spawn also asks about the env keys its child would inherit; those are env decisions)
    assert rt.dispatcher.ops[op].capability in {e["capability"] for e in decisions}


def test_provider_context_is_per_session() -> None:
    rt = _runtime()
    a = rt.new_session(rt.driver.process_config, None, b"")
    b = rt.new_session(rt.driver.process_config, None, b"")
    assert a.gate.audit_ctx.session_id != b.gate.audit_ctx.session_id
    assert isinstance(ProviderContext(plugin_id="p", session_id="s"), ProviderContext)
