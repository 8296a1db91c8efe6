"""``secure-exec``: the root command line. Subcommands mount themselves with ``register``.

Every command shares one exit-code table (``secure_exec.cli.common``) and one error path: a problem
the user can fix is one line on stderr, never a Python traceback (``--debug`` shows one).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Sequence

from secure_exec import __version__
from secure_exec.cli import audit_cmd, plugins_cmd, policy_cmd, run_cmd
from secure_exec.cli.common import (
    EXIT_EPILOG,
    EXIT_GUEST,
    EXIT_INTERRUPTED,
    EXIT_PIPE,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CLIError,
    Output,
    setup_logging,
)
from secure_exec.errors import ConfigError, LimitExceeded, SecureExecError, TimeLimitExceeded


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secure-exec", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run untrusted JavaScript in a sandbox where every file, network, child-process and "
                    "environment access is decided by a policy and written to an audit log.",
        epilog="start with: secure-exec run --help\n" + EXIT_EPILOG)
    parser.add_argument("--version", action="version", version=f"secure-exec {__version__}")
    parser.add_argument("--debug", action="store_true", help="show library debug logs and Python tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run_cmd.register(sub)
    plugins_cmd.register(sub)
    audit_cmd.register(sub)
    policy_cmd.register(sub)
    return parser


def _split_script_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Everything after ``--`` in ``run`` belongs to the guest script."""
    if "run" in argv and "--" in argv and argv.index("run") < argv.index("--"):
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


def _watch_sigint() -> None:
    """Ctrl-C while the guest runs pure JS: exit 130 even if the main thread never returns to Python.

    The Python-level handler runs only between bytecodes of the main thread, which may be inside
    wasm for the whole run; the C-level handler still writes the signal number to the wakeup fd,
    so a watchdog thread sees it at once and ends the process if the main thread cannot.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def watchdog() -> None:
        while True:
            data = reader.recv(64)
            if not data:
                return
            if signal.SIGINT in data:
                break
        if not _done.wait(1.0):  # the main thread did not get to handle it: stop the process
            try:
                os.write(2, b"secure-exec: interrupted\n")
            finally:
                os._exit(EXIT_INTERRUPTED)

    _done.clear()
    _keep.extend((reader, writer))
    signal.signal(signal.SIGINT, handler)
    threading.Thread(target=watchdog, name="secure-exec-sigint", daemon=True).start()


_keep: list[socket.socket] = []  # the wakeup socket pair lives as long as the process
_done = threading.Event()


def _error(exc: BaseException) -> tuple[int, str | None]:
    """(exit code, one-line message) for an exception that ended a command."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, BrokenPipeError):
        return EXIT_PIPE, None
    if isinstance(exc, CLIError):
        return exc.exit_code, f"error: {exc}"
    if isinstance(exc, TimeLimitExceeded):
        return EXIT_TIMEOUT, f"{exc.code}: {exc}"
    if isinstance(exc, (ConfigError, audit_cmd.UsageError)):
        return EXIT_USAGE, f"error: {exc}"
    if isinstance(exc, (SecureExecError, LimitExceeded)):
        return EXIT_GUEST, f"{exc.code}: {exc}"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return EXIT_USAGE, f"error: {exc.strerror or exc}{where}"
    return EXIT_GUEST, f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (see ``secure_exec.cli.common`` for the table)."""
    argv_list = list(argv) if argv is not None else sys.argv[1:]
    argv_list, script_args = _split_script_args(argv_list)
    out = Output()
    try:
        args = build_parser().parse_args(argv_list)
    except SystemExit as exc:  # argparse: --help/--version are 0, usage errors are 2
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    undo_logging = setup_logging(args.debug)
    args.script_args = script_args
    if argv is None:
        _watch_sigint()
    try:
        if args.command == "audit":
            return int(audit_cmd.run_handler(args))
        return int(args.func(args, out))
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - no traceback reaches a CLI user
        code, message = _error(exc)
        if args.debug:
            out.err("".join(traceback.format_exception(exc)))
        if message:
            out.err(f"secure-exec: {message}\n")
        return code
    finally:
        _done.set()
        undo_logging()


if __name__ == "__main__":
    raise SystemExit(main())
