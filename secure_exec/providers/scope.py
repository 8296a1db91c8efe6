"""``RunScope``: what one sandbox run (or one plugin call) started, and the deadline it all runs under.

Why it exists: a guest's host work (provider calls, host functions, children, fetches) runs on host
threads and processes that the engine's time limit cannot see. The scope is the registry of that
work. Providers find the scope of the run they serve through ``current_scope()`` (a context variable
set on the thread doing the work), so a provider can bound what it does by ``remaining()`` and
register what must be ended with the run (``track``). ``release()`` ends it all: it calls every
registered stopper (kill a child's process group, shut a socket down) and joins the scope's worker
threads; a thread that still does not finish (a provider blocked in code nobody can interrupt) is
counted in ``abandoned`` and reported, never waited on forever.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

T = TypeVar("T")
Stopper = Callable[[], None]

MAX_WORKERS = 4
RELEASE_GRACE_S = 0.25
"""How long ``release()`` waits, in total, for the scope's threads once their work was stopped."""

_current: contextvars.ContextVar[RunScope | None] = contextvars.ContextVar("secure_exec_run_scope", default=None)
_log = structlog.get_logger("secure_exec.scope")
_ids = itertools.count(1)


def current_scope() -> RunScope | None:
    """The scope of the run this thread is working for (None outside any run)."""
    return _current.get()


class DeadlineReached(Exception):
    """Raised by ``RunScope.wait`` when the run's deadline passed before the work finished."""


class RunScope:
    """Deadline + registry of the threads, children and connections one run started."""

    def __init__(self) -> None:
        self.deadline: float | None = None  # time.monotonic() value; None = no limit
        self.expired = False  # a host operation was cut off by the deadline
        self.abandoned = 0  # threads left running after release() (work nobody could interrupt)
        self.inline: frozenset[str] = frozenset()  # capabilities whose providers never block (run inline)
        self._lock = threading.Lock()
        self._stoppers: dict[int, Stopper] = {}
        self._threads: set[threading.Thread] = set()
        self._idle: list[_Worker] = []
        self._sync: _Worker | None = None

    # ---------------------------------------------------------------- deadline

    def remaining(self) -> float | None:
        """Seconds left before the deadline (0.0 once passed), or None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def bound(self, timeout: float | None) -> float | None:
        """``timeout`` clamped to what is left of the run (the smaller of the two; None = unbounded)."""
        left = self.remaining()
        if left is None:
            return timeout
        return left if timeout is None else min(timeout, left)

    # ---------------------------------------------------------------- registry

    def track(self, stop: Stopper) -> int:
        """Register ``stop`` to be called when the run ends; returns a handle for ``untrack``.

        Work that ``release()`` already gave up on (a worker it stopped, still inside ``Popen`` or
        ``connect`` when the run ended) may register late: its stopper runs at once instead, so
        nothing it starts outlives the run it belonged to.
        """
        key = next(_ids)
        cur = threading.current_thread()
        if isinstance(cur, _Worker) and cur.scope is self and cur.released:
            try:
                stop()
            except Exception:  # noqa: BLE001 - the stopper's failure must not hide the late start
                _log.warning("run scope: a late stopper failed", exc_info=True)
            return key
        with self._lock:
            self._stoppers[key] = stop
        return key

    def untrack(self, key: int) -> None:
        with self._lock:
            self._stoppers.pop(key, None)

    @property
    def live_threads(self) -> int:
        with self._lock:
            return sum(1 for t in self._threads if t.is_alive())

    # ---------------------------------------------------------------- work on threads

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn`` on one of this scope's worker threads (at most ``MAX_WORKERS`` at a time)."""
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._worker(sync=False).give(fn, fut)
        return fut

    def wait(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on this scope's worker and wait for it, at most until the deadline.

        Raises ``DeadlineReached`` (and marks the scope expired) when the deadline comes first; the
        work is then stopped through the registered stoppers and, if it still runs, abandoned.
        """
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._worker(sync=True).give(fn, fut)
        try:
            return fut.result(timeout=self.remaining())
        except concurrent.futures.TimeoutError:
            self.expired = True
            with self._lock:
                self._sync = None  # that worker is busy with abandoned work; the next call gets a new one
            raise DeadlineReached from None

    def _worker(self, *, sync: bool) -> _Worker:
        with self._lock:
            if sync and self._sync is not None and self._sync.usable() and not self._sync.busy:
                return self._sync  # (a nested wait from inside a job gets a worker of its own)
            w: _Worker | None = None
            while not sync and self._idle and w is None:
                cand = self._idle.pop()
                w = cand if cand.usable() else None
            if w is None:
                w = _Worker(self, pooled=not sync)
                self._threads.add(w)
                w.start()
            if sync:
                self._sync = w
            return w

    def _idle_again(self, w: _Worker) -> None:
        with self._lock:
            if w.usable() and w in self._threads and len(self._idle) < MAX_WORKERS:
                self._idle.append(w)
                return
        w.stop()

    # ---------------------------------------------------------------- ending the run

    def release(self, grace: float = RELEASE_GRACE_S) -> int:
        """Stop everything the run started and join its threads; returns how many had to be abandoned."""
        if not self._stoppers and not self._threads:
            return 0  # nothing was started (most plugin calls): no lock, no work
        with self._lock:
            stoppers = list(self._stoppers.values())
            self._stoppers.clear()
            threads = list(self._threads)
            self._threads.clear()
            self._idle.clear()
            self._sync = None
        for stop in stoppers:
            try:
                stop()
            except Exception:  # noqa: BLE001 - one stopper failing must not keep the others from running
                _log.warning("run scope: a stopper failed", exc_info=True)
        for t in threads:
            if isinstance(t, _Worker):
                t.stop()
        end = time.monotonic() + grace
        left_alive = 0
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
            if t.is_alive():
                left_alive += 1
        if left_alive:
            self.abandoned += left_alive
            _log.warning("run scope: host work abandoned after the run ended", threads=left_alive)
        return left_alive


class _Worker(threading.Thread):
    """One daemon thread running jobs for one scope, with the scope set as its context."""

    def __init__(self, scope: RunScope, *, pooled: bool) -> None:
        super().__init__(daemon=True, name="secure-exec-io")
        self.scope = scope
        self.pooled = pooled
        self._cv = threading.Condition()
        self._job: tuple[Callable[[], Any], concurrent.futures.Future[Any]] | None = None
        self._stopped = False
        self.busy = False  # a job was given and has not finished

    def give(self, fn: Callable[[], Any], fut: concurrent.futures.Future[Any]) -> None:
        with self._cv:
            self.busy = True
            self._job = (fn, fut)
            self._cv.notify()

    def usable(self) -> bool:
        return self.is_alive() and not self._stopped

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()

    @property
    def released(self) -> bool:
        """``release()`` stopped this worker: the run it served has ended."""
        return self._stopped

    def run(self) -> None:
        _current.set(self.scope)
        while True:
            with self._cv:
                while self._job is None and not self._stopped:
                    self._cv.wait()
                if self._job is None:
                    return
                fn, fut = self._job
                self._job = None
            if fut.set_running_or_notify_cancel():
                try:
                    result = fn()
                except BaseException as e:  # noqa: BLE001 - handed to the waiter, who decides
                    self.busy = False  # before the waiter wakes: its next wait may reuse this worker
                    fut.set_exception(e)
                else:
                    self.busy = False
                    fut.set_result(result)
            self.busy = False
            if self.pooled:
                self.scope._idle_again(self)
