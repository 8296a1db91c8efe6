"""Every limit is really triggered here, and the host (and usually the instance) survives it."""

from __future__ import annotations

import threading
import time

import orjson
import pytest

from secure_exec.engine import EngineLimits, JSInstance
from secure_exec.errors import MemoryLimitExceeded, SandboxBusy, StackLimitExceeded, TimeLimitExceeded
from tests._engine_support import bridged_instance

MiB = 1 << 20







@pytest.mark.parametrize(
    "src",
    [
        "while(true){}",
        "try { while(true){} } catch (e) {} 'escaped'",
        "for(;;) { try { while(true){} } catch (e) {} }",
        "function r(){ try { for(;;){} } finally { r() } } r()",
        "/(a+)+$/.test('a'.repeat(40) + 'b')",
    ],
)
def test_time_limit_stops_loops_and_instance_survives(path: str, src: str) -> None:
    with JSInstance(limits=EngineLimits(time_limit=0.2)) as js:
        with pytest.raises(TimeLimitExceeded):
            js.eval_script(src)
        assert js.generation == 0  # graceful: no reset
        assert js.eval_script("1+1") == 2


def test_time_limit_applies_to_calls_and_jobs(path: str) -> None:
    with JSInstance(limits=EngineLimits(time_limit=0.2)) as js:
        js.eval_script("globalThis.spin = () => { for(;;){} }")
        with pytest.raises(TimeLimitExceeded):
            js.call_function("spin", [])
        with pytest.raises(TimeLimitExceeded):
            js.eval_script("globalThis.spinAsync = async () => { await 0; for(;;){} }; spinAsync(); 1")
        assert js.call_function("parseInt", ["12"]) == 12


def test_epoch_backstop_when_the_guest_cannot_poll(path: str) -> None:
    """A host call that blocks past the hard deadline: the epoch trap fires on return and the sandbox resets."""

    def slow_host(raw: bytes) -> tuple[bool, bytes]:
        time.sleep(0.6)  # beyond 0.05 s * 1.5 + 25 ticks of 10 ms
        return False, b"1"

    with bridged_instance(limits=EngineLimits(time_limit=0.05), host_call=slow_host) as js:
        js.eval_script("globalThis.marker = 1")
        with pytest.raises(TimeLimitExceeded, match="hard time limit"):
            js.eval_script("B.hostCall('x'); for(;;){}")
        assert js.generation == 1
        assert js.eval_script("typeof marker") == "undefined"  # state was reset
        assert js.eval_script("1+1") == 2


def test_stale_epoch_deadline_does_not_fire_later(path: str) -> None:
    with JSInstance(limits=EngineLimits(time_limit=0.01)) as js:
        js.eval_script("globalThis.keep = 1")
        time.sleep(0.6)  # far past the previous call's hard deadline (0.01 * 1.5 + 25 ticks)
        assert js.memory_usage() > 0
        js.gc()
        assert js.run_jobs() == 0
        assert js.eval_script("keep") == 1
        assert js.generation == 0


def test_memory_bomb_hits_the_cap(path: str) -> None:
    limit = 64 * MiB
    with JSInstance(limits=EngineLimits(memory_limit=limit, time_limit=10)) as js:
        with pytest.raises(MemoryLimitExceeded):
            js.eval_script("let a=[]; while(true) a.push('x'.repeat(1<<20)+a.length)")
        assert js.linear_memory_size() <= 1.1 * limit
        js.eval_script("a = null")
        js.gc()
        assert js.eval_script("1+1") == 2
        assert js.generation == 0


def test_memory_bomb_caught_in_js_is_still_bounded(path: str) -> None:
    limit = 32 * MiB
    with JSInstance(limits=EngineLimits(memory_limit=limit, time_limit=10)) as js:
        r = js.eval_script("try { const b = []; for(;;) b.push(new Array(1e5).fill(1.5)) } catch (e) { e.message }")
        assert r == "out of memory"
        assert js.linear_memory_size() <= 1.1 * limit
        with pytest.raises(MemoryLimitExceeded):
            js.eval_script("new ArrayBuffer(200 * 1024 * 1024)")
        assert js.eval_script("[1,2,3].length") == 3


def test_deep_recursion_is_a_stack_error(path: str) -> None:
    with JSInstance() as js:
        with pytest.raises(StackLimitExceeded):
            js.eval_script("function f(n){ return f(n+1) + 1 } f(0)")
        assert js.generation == 0
        assert js.eval_script("1+1") == 2
        depth = js.eval_script("let d = 0; function g(){ d++; g() } try { g() } catch (e) {} d")
        assert depth > 500


@pytest.mark.parametrize(
    "src",
    [
        "JSON.parse('['.repeat(1e5))",
        "eval('('.repeat(50000))",
        "let o = []; for (let i = 0; i < 1e5; i++) o = [o]; JSON.stringify(o)",
    ],
)
def test_native_stack_exhaustion_resets_the_sandbox(path: str, src: str) -> None:
    with JSInstance() as js:
        js.eval_script("globalThis.marker = 1")
        with pytest.raises(StackLimitExceeded, match="reset"):
            js.eval_script(src)
        assert js.generation == 1
        assert js.eval_script("typeof marker") == "undefined"
        assert js.eval_script("1+1") == 2


def test_oversized_request_is_refused_before_the_host_sees_it(path: str) -> None:
    seen: list[int] = []

    def host(raw: bytes) -> tuple[bool, bytes]:
        seen.append(len(raw))
        return False, b"true"

    with bridged_instance(limits=EngineLimits(max_request_bytes=1000), host_call=host) as js:
        assert js.eval_script("B.hostCall('x'.repeat(1000))") == "true"
        r = js.eval_script("try { B.hostCall('x'.repeat(1001)) } catch (e) { [e.code, e.message] }")
        assert r[0] == "ERR_PAYLOAD_TOO_LARGE"
        assert "1001" in r[1] and "1000" in r[1]
        assert seen == [1000]


def test_oversized_reply_is_refused(path: str) -> None:
    def host(raw: bytes) -> tuple[bool, bytes]:
        return False, orjson.dumps("y" * int(raw))

    with bridged_instance(limits=EngineLimits(max_reply_bytes=100_000), host_call=host) as js:
        assert js.eval_script("B.hostCall('99000').length") == 99002
        r = js.eval_script("try { B.hostCall('100000') } catch (e) { e.code }")
        assert r == "ERR_PAYLOAD_TOO_LARGE"


def test_busy_from_another_thread(path: str) -> None:
    entered, release = threading.Event(), threading.Event()

    def host(raw: bytes) -> tuple[bool, bytes]:
        entered.set()
        release.wait(10)
        return False, b"7"

    errors: list[BaseException] = []
    results: list[object] = []
    with bridged_instance(host_call=host) as js:

        def owner() -> None:
            try:
                results.append(js.eval_script("B.call('wait', {})"))
            except BaseException as e:
                errors.append(e)

        t = threading.Thread(target=owner)
        t.start()
        assert entered.wait(10)
        with pytest.raises(SandboxBusy):
            js.eval_script("1")
        with pytest.raises(SandboxBusy):
            js.close()
        release.set()
        t.join(10)
        assert not errors and results == [7]
        assert js.eval_script("1") == 1  # the other thread released it


def test_two_threads_run_two_sandboxes(path: str) -> None:
    out: dict[int, object] = {}

    def work(k: int) -> None:
        with JSInstance() as js:
            out[k] = js.eval_script(f"let s = {k}; for (let i = 0; i < 3e5; i++) s += i; s")

    threads = [threading.Thread(target=work, args=(k,)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    total = sum(range(300_000))
    assert out == {1: total + 1, 2: total + 2}
