"""``secure-exec``: the root command line. Subcommands mount themselves with ``register``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from secure_exec.cli import audit_cmd, run_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secure-exec", description="Run and review sandboxed JS plugins.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    audit_cmd.register(sub)
    run_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv) if argv is not None else sys.argv[1:]
    script_args: list[str] = []
    if argv[:1] == ["run"] and "--" in argv:  # everything after "--" belongs to the guest script
        cut = argv.index("--")
        argv, script_args = argv[:cut], argv[cut + 1:]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, usage errors are 2
        return exc.code if isinstance(exc.code, int) else 2
    args.script_args = script_args
    if args.command == "audit":
        return audit_cmd.run_handler(args)
    handler = args.func
    code: int = handler(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
