"""``secure-exec audit``: verify, query, report, explain and suggest-policy over an audit log.

Modelled on ausearch/aureport, ``aws cloudtrail validate-logs`` and datasette's "why" view. Logs are
untrusted input, so every value printed is escaped (no ANSI, bidi or control characters reach the
terminal) and JSON output is ASCII-only. Exit codes: 0 ok, 1 verification failed / not found,
2 usage or input errors.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import attrs

from secure_exec.audit import duck
from secure_exec.audit.review import (
    QUERY_COLUMNS,
    EventFilter,
    ReadStats,
    build_report,
    display,
    explain,
    find_event,
    format_table,
    parse_time,
    read_events,
    render_report,
    suggest_policy,
)
from secure_exec.audit.signing import VerifierKey, parse_verifier_key, write_key_pair
from secure_exec.audit.verify import log_files, verify_log
from secure_exec.audit.whatif import what_if
from secure_exec.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad arguments or unreadable input: exit code 2."""


def load_key(*, key_file: str | None = None, key_env: str | None = None) -> bytes | None:
    """The checkpoint HMAC key: a file's exact bytes, or an env var's UTF-8 text.

    Either may be written as ``hex:<hex digits>`` to carry arbitrary bytes.
    """
    raw: bytes
    if key_file is not None:
        try:
            with open(key_file, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read key file {key_file!r}: {exc.strerror or exc}") from exc
        source = f"key file {key_file!r}"
    elif key_env is not None:
        value = os.environ.get(key_env)
        if value is None:
            raise UsageError(f"environment variable {key_env!r} is not set")
        raw = value.encode("utf-8")
        source = f"environment variable {key_env!r}"
    else:
        return None
    if raw.startswith(b"hex:"):
        try:
            raw = bytes.fromhex(raw[4:].decode("ascii").strip())
        except (UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"{source} starts with 'hex:' but the rest is not hex") from exc
    if not raw:
        raise UsageError(f"{source} is empty")
    return raw


def _time_arg(text: str) -> Any:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from exc


def _files(path: str) -> list[str]:
    files = log_files(path)
    if not files or not os.path.isfile(files[0]):
        raise UsageError(f"audit log {path!r} does not exist (a file, a directory or a glob of rotated files)")
    return files


def _use_duckdb(args: argparse.Namespace) -> bool:
    if args.engine == "duckdb" and not duck.available():
        raise UsageError("--engine duckdb needs DuckDB: pip install 'secure_exec[review]'")
    if args.engine == "duckdb" or (args.engine == "auto" and duck.available()):
        # DuckDB would read a last line that has no newline (torn, or appended by someone else);
        # the Python scan skips it. Both engines must give the same answer, so such a set is scanned.
        return args.engine == "duckdb" or not any(_unterminated(f) for f in _files(args.file))
    return False


def _unterminated(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return False
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) != b"\n"
    except OSError:
        return False


def _events(path: str, stats: ReadStats) -> Any:
    """The events of a log file, or of every rotated file in a directory or glob, oldest first."""
    files = log_files(path)
    if not files or not os.path.isfile(files[0]):
        raise UsageError(f"audit log {path!r} does not exist (a file, a directory or a glob of rotated files)")
    return itertools.chain.from_iterable(read_events(f, stats) for f in files)


def _warn_skipped(stats: ReadStats, err: TextIO) -> None:
    if stats.skipped:
        err.write(f"note: skipped {stats.skipped} malformed or partial line(s); run `verify` for details\n")


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} {path!r}: {exc}") from exc


def cmd_verify(args: argparse.Namespace) -> int:
    key = load_key(key_file=args.key_file, key_env=args.key_env)
    public_key: VerifierKey | None = None
    if args.public_key is not None:
        try:
            public_key = parse_verifier_key(_read_text(args.public_key, "public key"))
        except ConfigError as exc:
            raise UsageError(f"{args.public_key}: {exc}") from exc
    trusted = _read_text(args.checkpoint, "checkpoint") if args.checkpoint is not None else None
    if trusted is not None and public_key is None:
        raise UsageError("--checkpoint needs --public-key")
    if not log_files(args.file) or not os.path.exists(log_files(args.file)[0]):
        raise UsageError(f"audit log {args.file!r} does not exist (a file, a directory or a glob of rotated files)")
    try:
        result = verify_log(args.file, key=key, expect_closed=args.expect_closed, public_key=public_key,
                            trusted_checkpoint=trusted)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot read {args.file!r}: {exc.strerror or exc}") from exc
    out: TextIO = args.stdout
    if result.problem is None:
        keyed = key is not None or public_key is not None
        signed = f", {result.signed_checkpoints_checked} signature(s) verified" if keyed else ""
        out.write(
            f"OK: {result.events} event(s), seq {result.first_seq}..{result.last_seq}, "
            f"{result.checkpoints} checkpoint(s){signed}"
            f"{', closed cleanly' if result.closed else ''}\n"
            f"last hash {display(result.last_hash)}\n"
        )
        for finding in result.findings:
            out.write(f"finding: {display(finding, 400)}\n")
        for note in result.notes:
            out.write(f"note: {display(note, 300)}\n")
        return EXIT_OK
    p = result.problem
    where = f"{display(p.file, 200)} line {p.line}" if p.file else f"line {p.line}"
    out.write(f"FAILED at seq {p.seq} ({where}): {display(p.what, 600)}\n")
    out.write(f"verified before it: {result.events} event(s), up to seq {result.last_seq}\n")
    for finding in result.findings:
        out.write(f"finding: {display(finding, 400)}\n")
    return EXIT_FAILED


def cmd_keygen(args: argparse.Namespace) -> int:
    try:
        key, pub = write_key_pair(args.key, args.name)
    except FileExistsError as exc:
        raise UsageError(f"{args.key!r} exists; refusing to overwrite a private key") from exc
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    args.stdout.write(
        f"private key: {display(args.key, 300)} (mode 0600; give it to the writer: --audit-sign-key)\n"
        f"public key:  {display(pub, 300)} (give it to reviewers: verify --public-key)\n"
        f"{key.verifier.text()}\n"
    )
    return EXIT_OK


def cmd_checkpoint(args: argparse.Namespace) -> int:
    try:
        public_key = parse_verifier_key(_read_text(args.public_key, "public key"))
    except ConfigError as exc:
        raise UsageError(f"{args.public_key}: {exc}") from exc
    if not os.path.isfile(args.file):
        raise UsageError(f"audit log {args.file!r} does not exist or is not a file")
    result = verify_log(args.file, public_key=public_key)
    if result.problem is not None:
        p = result.problem
        args.stderr.write(f"secure-exec audit: log does not verify at seq {p.seq} (line {p.line}): "
                          f"{display(p.what, 400)}\n")
        return EXIT_FAILED
    if result.last_signed_checkpoint is None:
        args.stderr.write("secure-exec audit: the log has no Ed25519 signed checkpoint\n")
        return EXIT_FAILED
    args.stdout.write(result.last_signed_checkpoint)
    return EXIT_OK


def cmd_what_if(args: argparse.Namespace) -> int:
    from secure_exec.policy import Policy

    try:
        policy = Policy.from_toml(args.policy)
    except (ConfigError, OSError) as exc:
        raise UsageError(f"cannot load policy {args.policy!r}: {exc}") from exc
    stats = ReadStats()
    result = what_if(_events(args.file, stats), policy)
    out: TextIO = args.stdout
    changes = sorted(result.changes.items(), key=lambda kv: (-kv[1], kv[0].plugin, kv[0].resource))
    if args.format == "jsonl":
        for change, count in changes:
            row = {"count": count, **attrs.asdict(change)}
            out.write(json.dumps(row, ensure_ascii=True, separators=(",", ":")) + "\n")
    else:
        out.write(
            f"{result.checked} recorded request(s) replayed against {display(args.policy, 200)}: "
            f"{sum(result.changes.values())} would change ({result.newly_denied} allowed -> denied, "
            f"{result.newly_allowed} denied -> allowed); {result.skipped} not replayable\n"
        )
        if changes:
            cols = ("count", "plugin", "capability", "op", "resource", "change", "now decided by")
            rows = [[n, c.plugin, c.capability, c.op, c.resource, f"{c.old} -> {c.new}", c.rule_id]
                    for c, n in changes]
            out.write(format_table(rows, cols) + "\n")
        out.write("note: child processes are replayed without arguments or environment, network requests "
                  "without their method (neither is logged)\n")
    _warn_skipped(stats, args.stderr)
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    flt = EventFilter(
        plugin=args.plugin, capability=args.capability, op=args.op, decision=args.decision,
        event=args.event, since=args.since, until=args.until, resource=args.resource,
    )
    stats = ReadStats()
    out: TextIO = args.stdout
    if _use_duckdb(args):
        matched = duck.query(_files(args.file), flt, stats)
    else:
        matched = [ev for ev in _events(args.file, stats) if flt.matches(ev)]
    if args.limit is not None:
        matched = matched[-args.limit :] if args.limit else []
    if args.format == "table":
        out.write(format_table([[ev.get(c) for c in QUERY_COLUMNS] for ev in matched], QUERY_COLUMNS) + "\n")
    else:
        for ev in matched:
            # ensure_ascii: bidi and other invisible characters become \\uXXXX, still valid JSON.
            out.write(json.dumps(ev, ensure_ascii=True, separators=(",", ":")) + "\n")
    _warn_skipped(stats, args.stderr)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    stats = ReadStats()
    if _use_duckdb(args):
        args.stdout.write(render_report(duck.report(_files(args.file), args.top), args.top))
    else:
        args.stdout.write(build_report(_events(args.file, stats), top=args.top))
    _warn_skipped(stats, args.stderr)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    stats = ReadStats()
    target, everything = find_event(_events(args.file, stats), args.event_id)
    _warn_skipped(stats, args.stderr)
    if target is None:
        args.stdout.write(f"no event with id {display(args.event_id, 80)} (or the prefix is ambiguous)\n")
        return EXIT_FAILED
    args.stdout.write(explain(target, everything))
    return EXIT_OK


def cmd_suggest_policy(args: argparse.Namespace) -> int:
    stats = ReadStats()
    args.stdout.write(suggest_policy(_events(args.file, stats), plugin=args.plugin))
    _warn_skipped(stats, args.stderr)
    return EXIT_OK


def add_audit_commands(sub: Any) -> None:
    """Add verify/keygen/checkpoint/query/report/explain/suggest-policy to an argparse subparsers object."""

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("file", metavar="FILE", help="audit log (JSON lines)")
        p.set_defaults(func=handler)
        return p

    v = command("verify", cmd_verify, "check the hash chain, seq continuity, checkpoints and partial lines "
                "(FILE may be a directory or a quoted glob of rotated files)")
    keys = v.add_mutually_exclusive_group()
    keys.add_argument("--key-file", metavar="F", help="checkpoint HMAC key: the file's bytes (or 'hex:...')")
    keys.add_argument("--key-env", metavar="VAR", help="checkpoint HMAC key from an environment variable")
    v.add_argument("--public-key", metavar="PUB", help="check Ed25519 signed checkpoints with this public key")
    v.add_argument(
        "--checkpoint", metavar="NOTE",
        help="a signed checkpoint kept outside the log (from `audit checkpoint`): the log must contain it",
    )
    v.add_argument(
        "--expect-closed", action="store_true",
        help="require a final checkpoint at the end (detects tail truncation when a key is given)",
    )

    kg = sub.add_parser("keygen", help="create an Ed25519 key pair for signed checkpoints",
                        description="write the private key to KEY (mode 0600) and the public key to KEY.pub")
    kg.add_argument("key", metavar="KEY", help="private key file to create (never overwritten)")
    kg.add_argument("--name", default="secure-exec-audit",
                    help="key name (also the checkpoint origin); no spaces or '+'")
    kg.set_defaults(func=cmd_keygen)

    cp = command("checkpoint", cmd_checkpoint,
                 "print the log's latest signed checkpoint (a C2SP signed note) to keep outside the log")
    cp.add_argument("--public-key", metavar="PUB", required=True, help="the log's Ed25519 public key")

    q = command("query", cmd_query, "print the events matching every given filter")
    q.add_argument("--plugin", help="plugin id (glob)")
    q.add_argument("--capability", help="fs, network, child_process, env ...")
    q.add_argument("--op", help="operation, e.g. read")
    q.add_argument("--decision", choices=("allow", "deny"), help="permission decisions only")
    q.add_argument("--event", help="event name (glob), e.g. 'plugin.*'")
    q.add_argument("--since", type=_time_arg, help="RFC 3339 time (inclusive)")
    q.add_argument("--until", type=_time_arg, help="RFC 3339 time (inclusive)")
    q.add_argument("--resource", metavar="GLOB", help="canonical resource (glob)")
    q.add_argument("--limit", type=int, metavar="N", help="only the last N matches")
    q.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    q.add_argument("--engine", choices=("auto", "duckdb", "python"), default="auto",
                   help="DuckDB (fast on large rotated sets; the 'review' extra) or a Python scan; auto: DuckDB "
                   "if installed")

    r = command("report", cmd_report, "counts of allows and denies per plugin and capability, top denials, limits")
    r.add_argument("--top", type=int, default=10, help="how many denied resources to list")
    r.add_argument("--engine", choices=("auto", "duckdb", "python"), default="auto",
                   help="DuckDB or a Python scan (auto: DuckDB if installed)")

    e = command("explain", cmd_explain, "why an event happened: decision, rule, source, policy and outcome")
    e.add_argument("event_id", metavar="EVENT_ID", help="event id (or a unique prefix of 6+ characters)")

    w = command("what-if", cmd_what_if,
                "replay every recorded request against a candidate policy and list what would change")
    w.add_argument("--policy", required=True, metavar="TOML", help="the candidate policy file")
    w.add_argument("--format", choices=("table", "jsonl"), default="table")

    s = command(
        "suggest-policy", cmd_suggest_policy, "print the minimal policy TOML allowing exactly what the log used"
    )
    s.add_argument("--plugin", help="only this plugin's accesses")


def register(subparsers: Any) -> None:
    """Mount ``audit`` (with its subcommands) on a parent CLI, e.g. ``secure-exec audit ...``.

    Each leaf sets ``func(args) -> int``; call :func:`run_handler` to get usage errors mapped to 2.
    """
    audit = subparsers.add_parser("audit", help="verify and review audit logs", description=__doc__)
    add_audit_commands(audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True))


def run_handler(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the ``func`` an audit subcommand set, mapping input problems to exit code 2."""
    args.stdout = stdout if stdout is not None else sys.stdout
    args.stderr = stderr if stderr is not None else sys.stderr
    try:
        code: int = args.func(args)
    except UsageError as exc:
        args.stderr.write(f"secure-exec audit: error: {display(str(exc), 500)}\n")
        return EXIT_USAGE
    except OSError as exc:
        args.stderr.write(f"secure-exec audit: error: {display(str(exc), 500)}\n")
        return EXIT_USAGE
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secure-exec audit", description=__doc__)
    add_audit_commands(parser.add_subparsers(dest="audit_command", metavar="COMMAND", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry: ``python -m secure_exec.cli.audit_cmd verify FILE``."""
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse: --help is 0, usage errors are 2
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return run_handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
