"""A deadline over everything a run does, and nothing a run started outlives it."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import secure_exec as se
from secure_exec.host.plugin_host import PluginHost
from secure_exec.providers.commands import SubprocessCommandExecutor
from secure_exec.providers.memfs import InMemoryFileSystem

SLOW = threading.Event()  # set at teardown so abandoned provider threads finish


@pytest.fixture(autouse=True)
def _release_slow_work() -> Iterator[None]:
    SLOW.clear()
    yield
    SLOW.set()


def _procs(marker: str) -> list[int]:
    """pids whose command line contains ``marker`` (the process table, read from /proc)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    out.append(int(pid))
        except OSError:
            continue
    return out


def _kill(marker: str) -> None:
    for pid in _procs(marker):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def _runtime(*, time_limit: float = 1.0, audit: se.AuditLog | None = None, **driver: Any) -> se.NodeRuntime:
    policy = se.Policy(permissions=se.allow_all, waive=["net.loopback"])
    return se.NodeRuntime(system_driver=se.create_node_driver(policy=policy, **driver),
                          audit_log=audit or se.AuditLog.null(), time_limit=time_limit)


def _threads() -> int:
    """Threads alive in this process, apart from the test's own servers."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("test-server"))


def _limit_events(audit: se.AuditLog) -> list[dict[str, Any]]:
    assert audit.memory is not None
    return [dict(e) for e in audit.memory.events if e["event"] == "limit.exceeded"]


class BlockingFs(InMemoryFileSystem):
    def read_file(self, path: str, **kw: Any) -> bytes:
        SLOW.wait(6)
        return bytes(super().read_file(path, **kw))


def test_a_blocking_provider_cannot_hold_the_run_past_its_deadline() -> None:
    fs = BlockingFs()
    fs.write_file("/f.txt", b"late")
    audit = se.AuditLog.null()
    rt = _runtime(filesystem=fs, audit=audit)
    t0 = time.monotonic()
    r = rt.exec('try { console.log(require("fs").readFileSync("/f.txt", "utf8")); } catch (e) { console.log(e.code); }'
                "\nprocess.exitCode = 0;")
    took = time.monotonic() - t0
    assert r.code == 124, r
    assert took < 2.5
    ev = _limit_events(audit)
    assert [e["limit"] for e in ev] == ["time"] and ev[0]["abandoned"] == 1  # the stuck read is reported


def test_a_blocking_host_function_cannot_hold_a_plugin_call(tmp_path: Path) -> None:
    d = tmp_path / "p"
    d.mkdir()
    (d / "main.mjs").write_text('import host from "secure-exec:host";\n'
                                "export function wait() { return host.functions.block(); }\n"
                                "export function ok() { return 1; }\n")
    (d / "secure-exec-plugin.toml").write_text('[plugin]\nid = "blocker"\nversion = "1"\nentry = "main.mjs"\n'
                                               'host_functions = ["block"]\n')
    audit = se.AuditLog.null()
    with PluginHost(audit_log=audit) as h:
        p = h.load_plugin(d, host_functions={"block": lambda: SLOW.wait(6)})
        t0 = time.monotonic()
        with pytest.raises(se.TimeLimitExceeded):
            p.call("wait", time_limit=1)
        assert time.monotonic() - t0 < 2.5
        assert p.call("ok") == 1  # the plugin stays usable; the late result is discarded
    assert [e["limit"] for e in _limit_events(audit)] == ["time"]


def test_a_child_is_killed_at_the_run_deadline_whatever_timeout_the_guest_asked() -> None:
    marker = "20.4242"
    rt = _runtime(command_executor=se.create_command_executor())
    t0 = time.monotonic()
    try:
        r = rt.exec(f'require("child_process").execFileSync("sleep", ["{marker}"], {{ timeout: 300000 }});')
        took = time.monotonic() - t0
        assert r.code == 124
        assert took < 2.5
        assert _procs(marker) == []
    finally:
        _kill(marker)


def test_a_detached_grandchild_holding_the_pipe_does_not_hang_the_executor() -> None:
    marker = "7.4343"
    exe = SubprocessCommandExecutor()
    t0 = time.monotonic()
    try:
        r = exe.run("/bin/sh", ["-c", f"setsid sleep {marker} & echo started"], timeout=1.0)
        assert time.monotonic() - t0 < 2.5
        assert r.stdout == b"started\n" and r.status == 0
    finally:
        _kill(marker)


def test_async_children_do_not_outlive_the_run() -> None:
    marker = "9.8765"
    rt = _runtime(command_executor=se.create_command_executor(), time_limit=5)
    try:
        r = rt.exec(f'require("child_process").spawn("sleep", ["{marker}"]);\n'
                    "setTimeout(() => process.exit(0), 200);")
        assert r.code == 0
        assert _procs(marker) == []  # killed with the run, not left to finish
    finally:
        _kill(marker)


class _Server:
    """A loopback server that accepts and then stays silent, or trickles one byte at a time."""

    def __init__(self, trickle: bool) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.trickle = trickle
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True, name="test-server").start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(c)
            if self.trickle:
                threading.Thread(target=self._drip, args=(c,), daemon=True, name="test-server-drip").start()

    def _drip(self, c: socket.socket) -> None:
        try:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while not self.stop.is_set():
                c.sendall(b"x")
                time.sleep(0.05)
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickling"])
def test_fetches_to_a_stuck_server_end_with_the_run_and_leave_no_thread(trickle: bool) -> None:
    srv = _Server(trickle)
    try:
        rt = _runtime(time_limit=0.5)
        code = f'fetch("http://127.0.0.1:{srv.port}/").then((r) => r.text()).then(() => console.log("done"));'
        rt.exec(code)  # warm-up: lazily created process-wide threads (if any) exist before the count
        before = _threads()
        for _ in range(5):
            t0 = time.monotonic()
            r = rt.exec(code)
            assert r.code == 124
            assert time.monotonic() - t0 < 1.5
        time.sleep(0.1)
        assert _threads() == before
    finally:
        srv.close()


def test_runs_leave_no_thread_behind() -> None:
    fs = se.create_in_memory_file_system()
    rt = _runtime(filesystem=fs, command_executor=se.create_command_executor(), time_limit=5)
    code = ('const cp = require("child_process");\n'
            'cp.execFile("true", [], () => {});\n'
            'require("fs").promises.writeFile("/x", "1").then(() => {});\n'
            'cp.execFileSync("true");\n')
    assert rt.exec(code).code == 0
    before = _threads()
    for _ in range(5):
        assert rt.exec(code).code == 0
    assert _threads() == before


def test_sync_ops_on_a_provider_that_may_block_reuse_one_worker(tmp_path: Path) -> None:
    from secure_exec.providers.hostfs import HostFileSystem

    seen: set[int] = set()

    class Recording(HostFileSystem):
        def read_file(self, path: str, **kw: Any) -> bytes:
            seen.add(threading.get_ident())
            return bytes(super().read_file(path, **kw))

    (tmp_path / "a.txt").write_text("hi")
    rt = _runtime(filesystem=Recording(tmp_path), time_limit=30)
    before = _threads()
    r = rt.exec('const fs = require("fs"); for (let i = 0; i < 300; i++) fs.readFileSync("/a.txt", "utf8");')
    assert r.code == 0
    assert len(seen) == 1 and threading.get_ident() not in seen  # off the guest's thread, one worker
    assert _threads() == before
