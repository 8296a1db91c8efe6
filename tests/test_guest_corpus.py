"""The shared differential corpus (tests/differential, expected output recorded from real Node)
run through the guest shim on the fake host, in one node process. The pinned scripts
(testing/corpus_pinned.txt: all that matched when it was last updated) must match Node exactly; the
excluded ones need what the fake host cannot give."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from test_guest_harness import FAKE_HOST

from secure_exec.runtime.guest import GUEST_DIR

CORPUS = Path(__file__).resolve().parent / "differential"

EXCLUDED_DIRS = {"child_process": "the fake host has no real commands"}
EXCLUDED = {
    "fs/link_nlink.js": "the fake host's in-memory fs does not count hard links",
    "path/win32.js": "path.win32 is refused by design (POSIX-only sandbox)",
}


PINNED = GUEST_DIR / "testing" / "corpus_pinned.txt"


def pinned_ids() -> list[str]:
    """Scripts the shim is known to match Node on: a regression on any of them fails the test."""
    lines = PINNED.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def corpus_cases() -> list[tuple[str, dict[str, Any]]]:
    results: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())["results"]
    ids = pinned_ids()
    missing = [sid for sid in ids if sid not in results]
    assert not missing, f"pinned scripts no longer in the corpus: {missing}"
    return [
        (sid, results[sid])
        for sid in ids
        if sid.split("/")[0] not in EXCLUDED_DIRS and sid not in EXCLUDED
    ]


def test_corpus_matches_node() -> None:
    cases = corpus_cases()
    assert len(cases) > 200
    specs = []
    for sid, _ in cases:
        name = Path(sid).name
        specs.append({
            "source": (CORPUS / sid).read_text(encoding="utf-8"),
            "mode": "cjs",
            "filename": f"/work/{name}",
            "files": {"/work": {"dir": True}},
            "env": {"DIFF_VAR": "hello"},
            "config": {"cwd": "/work", "argv": ["node", f"/work/{name}"]},
        })
    proc = subprocess.run(["node", str(FAKE_HOST)], input=json.dumps(specs), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcomes = json.loads(proc.stdout)
    mismatches = [
        f"{sid}: exit {got['exit']} (node {exp['code']})\n  got  {got['stdout']!r}\n  node {exp['stdout']!r}"
        for (sid, exp), got in zip(cases, outcomes, strict=True)
        if got["stdout"] != exp["stdout"] or got["exit"] != exp["code"]
    ]
    assert not mismatches, "\n".join(mismatches)
