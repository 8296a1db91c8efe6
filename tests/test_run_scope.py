"""RunScope: work that registers after its run was released is stopped at once (review of issue 11)."""

from __future__ import annotations

import threading

from secure_exec.providers.scope import RunScope


def test_a_stopper_registered_after_release_runs_at_once() -> None:
    scope = RunScope()
    go, stopped = threading.Event(), threading.Event()

    def slow_start() -> None:  # e.g. a worker still inside Popen when the run ends
        go.wait(5)
        scope.track(stopped.set)

    fut = scope.submit(slow_start)
    assert scope.release(grace=0.05) == 1  # the run ended while the worker was busy: abandoned
    go.set()
    fut.result(timeout=5)
    assert stopped.wait(2), "a child started after the run ended must be stopped, not left running"


def test_a_stopper_of_live_work_waits_for_release() -> None:
    scope = RunScope()
    stopped = threading.Event()
    scope.submit(lambda: scope.track(stopped.set)).result(timeout=5)
    assert not stopped.is_set()
    scope.release(grace=0.05)
    assert stopped.is_set()
