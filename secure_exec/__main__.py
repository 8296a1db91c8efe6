"""``python -m secure_exec``: the ``secure-exec`` command line."""

from secure_exec.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
