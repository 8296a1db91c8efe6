"""What every ``secure-exec`` command shares: exit codes, permission flags, safe output, logging.

Exit codes (the same for every command; see docs/cli.md):

===== =====================================================================================
0     success
1     the guest failed (uncaught error, ``process.exit(1)``; a guest's own non-zero exit code
      is passed through), an audit verification failed or a query matched nothing
2     usage or configuration error: a bad flag, manifest, policy, JSON argument or digest, a
      missing file, or a plugin asking for more than the flags grant
124   the time limit ended the run
130   interrupted (Ctrl-C / SIGINT)
141   the reader closed stdout (``| head``): the run ended quietly, as a filter ends on SIGPIPE
===== =====================================================================================
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from secure_exec.errors import GuestError
from secure_exec.policy import Policy, Rule
from secure_exec.policy.flags import FlagValue, flag_for, policy_from_flags
from secure_exec.policy.globs import compile_any, name_glob_regex
from secure_exec.policy.guards import GUARD_NAMES

EXIT_OK, EXIT_GUEST, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 124, 130, 141
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_GUEST: "the guest failed (its own non-zero exit code is passed through), or a check failed",
    EXIT_USAGE: "usage or configuration error",
    EXIT_TIMEOUT: "the time limit ended the run",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
    EXIT_PIPE: "the reader closed stdout (| head)",
}
EXIT_EPILOG = "exit codes:\n" + "\n".join(f"  {k:<4} {v}" for k, v in EXIT_CODES.items())


class CLIError(Exception):
    """A problem the user can fix; printed as one line, never with a traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = code


# -- logging -------------------------------------------------------------------------------------

class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (never a stream closed since)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _Formatter(logging.Formatter):
    """One line per record; the traceback only with ``--debug``."""

    def __init__(self, debug: bool) -> None:
        super().__init__("secure-exec: %(levelname)s: %(name)s: %(message)s")
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        if not self.debug:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None,
                                            "stack_info": None})
        return super().format(record)


def setup_logging(debug: bool) -> Callable[[], None]:
    """Library logs (``secure_exec.*``) go to stderr, never stdout. Returns the function that undoes it."""
    logger = logging.getLogger("secure_exec")
    trace = logging.getLogger("secure_exec.providers.trace")
    saved = (logger.level, trace.level)
    handler = _StderrHandler()
    handler.setFormatter(_Formatter(debug))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    if os.environ.get("SECURE_EXEC_TRACE_HOOKS", "").strip().lower() in ("1", "true", "yes", "on"):
        trace.setLevel(logging.INFO)  # asked for: shown on stderr

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        trace.setLevel(saved[1])

    return undo


# -- output --------------------------------------------------------------------------------------

class Output:
    """Writes to stdout/stderr that survive a closed pipe (``| head``) and any text the guest made."""

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.stdout_closed = False

    def _write(self, stream: TextIO, text: str) -> bool:
        data = text.encode("utf-8", "replace")
        try:
            buf = getattr(stream, "buffer", None)
            if buf is not None:
                stream.flush()
                buf.write(data)
                buf.flush()
            else:
                stream.write(data.decode("utf-8"))
                stream.flush()
        except BrokenPipeError:
            _silence(stream)
            return False
        return True

    def out(self, text: str) -> None:
        if not self.stdout_closed and not self._write(self.stdout, text):
            self.stdout_closed = True

    def err(self, text: str) -> None:
        self._write(self.stderr, text)

    def guest_stdout(self, text: str) -> None:
        """The guest's own stdout: a closed pipe is ``EPIPE`` in the guest, as in Node."""
        if self.stdout_closed:
            raise GuestError("EPIPE", "write EPIPE")
        self.out(text)
        if self.stdout_closed:
            raise GuestError("EPIPE", "write EPIPE")


def _silence(stream: TextIO) -> None:
    """After EPIPE, point the stream's descriptor at /dev/null so the interpreter's exit flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def note(msg: str, out: Output | None = None) -> None:
    (out or Output()).err(f"secure-exec: {msg}\n")


# -- lazily read stdin -----------------------------------------------------------------------------

class LazyStdin(bytes):
    """The host's stdin as the guest's ``process.stdin``: read from fd 0 only when the guest reads.

    A run whose guest never reads stdin never blocks on it (an inherited, never-closed stdin is fine).
    """

    def __new__(cls, fd: int = 0) -> LazyStdin:
        obj = super().__new__(cls, b"")
        obj._fd = fd
        obj._buf = bytearray()
        obj._eof = False
        return obj

    _fd: int
    _buf: bytearray
    _eof: bool

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, slice):
            raise TypeError("LazyStdin supports slices only")
        start = key.start or 0
        stop = key.stop if key.stop is not None else start + 65536
        while len(self._buf) < stop and not self._eof:
            try:
                chunk = os.read(self._fd, max(stop - len(self._buf), 1))
            except OSError:
                chunk = b""
            if not chunk:
                self._eof = True
            self._buf += chunk
            if len(self._buf) > start:
                break  # a partial read is fine: the guest asks again
        return bytes(self._buf[start:stop])


# -- permission flags ------------------------------------------------------------------------------

_PATH_FLAGS = ("read", "write", "import")
_ALL_FLAGS = ("read", "write", "net", "env", "run", "import")
_HELP = {
    "read": "read files and folders under PATH (all of the filesystem without a value)",
    "write": "create, change and delete files under PATH (all of the filesystem without a value)",
    "net": "network access to HOST[:PORT], *.domain, scheme://host:port or a CIDR (any host without a value)",
    "env": "environment variables NAME or GLOB (APP_*): passed from the host and readable (all without a value)",
    "run": "run NAME (resolved on the executor's PATH) or an absolute PATH (any program without a value)",
    "import": "let the module loader import modules under PATH (no readFileSync of them)",
}
_METAVAR = {"read": "PATH", "write": "PATH", "net": "HOST", "env": "NAME", "run": "CMD", "import": "PATH"}


def add_permission_flags(p: argparse.ArgumentParser, *, limits: bool = True) -> None:
    g = p.add_argument_group(
        "permissions", "Deno-style: --allow-read (no value) grants the whole capability; --allow-read=A,B or "
        "repeated flags grant a list; --deny-* wins over --allow-*. Paths are literal and cover their subtree.")
    for cap in _ALL_FLAGS:
        mv = _METAVAR[cap]
        g.add_argument(f"--allow-{cap}", action="append", nargs="?", const=True, default=[], metavar=f"{mv},...",
                       help=_HELP[cap])
    for cap in _ALL_FLAGS:
        g.add_argument(f"--deny-{cap}", action="append", nargs="?", const=True, default=[],
                       metavar=f"{_METAVAR[cap]},...",
                       help=f"refuse {cap} access (to the listed {_METAVAR[cap]}s, or all of it without a value)")
    g.add_argument("-A", "--allow-all", action="store_true", help="grant every capability (guards still apply)")
    g.add_argument("--waive", action="append", default=[], metavar="GUARD,...",
                   help=f"waive an always-on guard by name: {', '.join(sorted(GUARD_NAMES))}")
    g.add_argument("--policy", metavar="FILE", help="a policy TOML file (docs/policy.md); the flags add to it")
    g.add_argument("--audit-only", action="store_true", help="record what would be denied, deny nothing")
    g.add_argument("--audit-log", metavar="FILE", help="append the hash-chained audit log (JSON lines) to FILE")
    g.add_argument("--audit-sign-key", metavar="KEY",
                   help="sign audit checkpoints with this Ed25519 key (from `secure-exec audit keygen`)")
    if limits:
        lg = p.add_argument_group("limits")
        lg.add_argument("--time-limit", type=_positive_float, default=30.0, metavar="S",
                        help="wall-clock limit in seconds (default: %(default)s)")
        lg.add_argument("--memory-limit", type=int, default=128, metavar="MB",
                        help="memory limit in MB, 16 to 3072 (default: %(default)s)")


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return v


def flag_values(raw: Iterable[object]) -> FlagValue:
    """``[]`` (flag absent) -> None; any bare flag -> True; else the comma-split, de-duplicated list."""
    items = list(raw)
    if not items:
        return None
    if any(v is True for v in items):
        return True
    out: list[str] = []
    for v in items:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    if not out:
        return True  # --allow-read= (empty value) is the bare flag, as in Deno
    return out


def abs_path(p: str) -> str:
    return os.path.realpath(os.path.abspath(os.path.expanduser(p)))


def _paths(v: FlagValue) -> FlagValue:
    return v if v is None or v is True else [abs_path(p) for p in v]  # type: ignore[union-attr]


def resolve_commands(flag: str, v: FlagValue, executor: Any, *, strict: bool) -> FlagValue:
    """Names and paths resolved to the real executable the executor will run (``/bin/sh`` -> ``/usr/bin/dash``)."""
    if v is None or v is True:
        return v
    out: list[str] = []
    for name in v:  # type: ignore[union-attr]
        try:
            out.append(executor.resolve_command(name))
        except GuestError:
            if strict:
                where = "" if "/" in name else f" on PATH {':'.join(executor.path)}"
                raise CLIError(f"{flag}: no executable {name!r}{where}") from None
    return out


def env_globs(v: FlagValue) -> re.Pattern[str] | None:
    if v is None:
        return None
    if v is True:
        return re.compile(".*", re.DOTALL)
    return compile_any([name_glob_regex(n) for n in v])  # type: ignore[union-attr]


def guest_env(ns: argparse.Namespace, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Host variables the flags let the guest see: every one matching an ``--allow-env`` name or glob."""
    environ = dict(os.environ if environ is None else environ)
    allow = True if ns.allow_all else flag_values(ns.allow_env)
    deny = flag_values(ns.deny_env)
    allow_re, deny_re = env_globs(allow), env_globs(deny)
    return {k: v for k, v in environ.items()
            if allow_re is not None and allow_re.fullmatch(k) and not (deny_re is not None and deny_re.fullmatch(k))}


def waivers(ns: argparse.Namespace) -> list[str]:
    v = flag_values(ns.waive)
    names = [] if v is None or v is True else list(v)  # type: ignore[arg-type]
    bad = sorted(set(names) - GUARD_NAMES)
    if bad:
        raise CLIError(f"--waive: unknown guard(s) {', '.join(bad)}; known: {', '.join(sorted(GUARD_NAMES))}")
    return names


def build_policy(ns: argparse.Namespace, extra: list[Rule], *, executor: Any, library: Any = None) -> Policy:
    """The policy in force: the ``--policy`` file (if any) plus the flags plus ``extra`` rules."""
    mode = "audit" if ns.audit_only else "enforce"
    waive = waivers(ns)
    if ns.allow_all:
        note("warning: --allow-all grants every capability to untrusted code (the guards still apply)")
    flags: dict[str, FlagValue] = {}
    for cap in _ALL_FLAGS:
        for kind in ("allow", "deny"):
            v = flag_values(getattr(ns, f"{kind}_{cap}"))
            if cap in _PATH_FLAGS:
                v = _paths(v)
            elif cap == "run":
                v = resolve_commands(f"--{kind}-run", v, executor, strict=kind == "allow")
            flags[f"{kind}_{cap}"] = v
    fp = policy_from_flags(**flags, allow_all=ns.allow_all)  # type: ignore[arg-type]
    if ns.policy:
        kw: dict[str, Any] = {"library": library} if library is not None else {}
        if ns.audit_only:
            kw["mode"] = mode
        base = Policy.from_toml(ns.policy, **kw)
        if waive:
            base = Policy.from_toml(ns.policy, **kw, waive=sorted(base.waived | set(waive)))
    else:
        base = Policy(name="cli", mode=mode, waive=waive)
    return base.extend(rules=[r for _, _, r in fp.rules] + extra)


def describe_policy(policy: Policy) -> list[str]:
    """One line per rule, in decision order (what ``--dry-run`` prints)."""
    lines = [f"policy {policy.name} mode={policy.mode} digest={policy.digest}"]
    if policy.waived:
        lines.append(f"  waived guards: {', '.join(sorted(policy.waived))}")
    for rid, _source, rule in policy.rules:
        what = [f"ops={','.join(rule.ops)}"] if rule.ops else []
        for f in ("paths", "urls", "cidrs", "names"):
            vals = getattr(rule, f)
            if vals:
                what.append(f"{f}={','.join(vals)}")
        if rule.executable:
            what.append(f"executable={rule.executable}")
        lines.append(f"  {rule.effect:5} {rule.capability:13} {' '.join(what) or '(everything)'}  [{rid}]")
    return lines


# -- denials ---------------------------------------------------------------------------------------

class DenialCounter:
    """An audit sink counting denials and remembering what would grant the first few."""

    def __init__(self) -> None:
        self.denied = 0
        self.hints: list[str] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") != "permission.checked" or event.get("decision") != "deny":
            return
        self.denied += 1
        if len(self.hints) >= 5:
            return
        cap, op = str(event.get("capability", "")), event.get("op")
        res = str(event.get("resource", ""))
        rule = str(event.get("rule_id", ""))
        if rule.startswith("guard:"):
            g = rule.split(":", 1)[1]
            hint = f"{cap} {op} {res}: refused by guard {g} ({event.get('reason', '')}); waive with --waive {g}"
        elif rule == "default":
            hint = f"{cap} {op} {res}: not granted; grant with {flag_for(cap, str(op), res)}"
        else:
            hint = f"{cap} {op} {res}: denied by rule {rule}"
        if hint not in self.hints:
            self.hints.append(hint)

    def summary(self, ns: argparse.Namespace, out: Output) -> None:
        if not self.denied:
            return
        for h in self.hints:
            note(h, out)
        where = f"secure-exec audit report {ns.audit_log}" if ns.audit_log else "rerun with --audit-log FILE"
        verb = "would have been denied (audit-only)" if ns.audit_only else "denied"
        note(f"{self.denied} operation(s) {verb}; see: {where}", out)


