"""Offline verification of an audit log file: chain, seq continuity, checkpoints, partial lines.

What is detectable (see docs/audit.md for the full statement):

* any edit, deletion, insertion or reordering of complete lines *before* the last event, by anyone
  who cannot recompute the chain (hash and seq checks);
* with the HMAC key: any rewrite up to the last checkpoint, even with a recomputed chain, and a
  missing checkpoint where the signed ``interval`` says one is due;
* with the key and ``expect_closed``: truncation of the tail, because a cleanly closed log ends
  with a signed ``final`` checkpoint;
* a partial last line (a write interrupted by a crash).

Not detectable: truncation of the tail without a key or without ``expect_closed`` (a bare hash
chain cannot show it), replacing the whole file by another validly signed log under the same key,
and anything done by someone holding the key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import orjson

from secure_exec.audit.chain import canonical_json, chain_hash, checkpoint_message, key_id, signature_valid
from secure_exec.audit.schema import CHECKPOINT, GENESIS_HASH, SCHEMA, SCHEMA_MAJOR


@attrs.frozen
class VerifyProblem:
    """The first thing that is wrong: where (line, seq) and what."""

    line: int
    seq: int
    what: str


@attrs.frozen
class VerifyResult:
    ok: bool
    events: int  # complete events that verified
    last_seq: int
    last_hash: str
    checkpoints: int
    signed_checkpoints_checked: int
    closed: bool  # the last event is a final checkpoint
    problem: VerifyProblem | None = None
    notes: tuple[str, ...] = ()


def iter_raw_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes without newline, complete) for every line, streaming."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.endswith(b"\n"):
                yield number, raw[:-1], True
            else:
                yield number, raw, False


class _Verifier:
    def __init__(self, key: bytes | None, expect_closed: bool) -> None:
        self.key = key
        self.expect_closed = expect_closed
        self.expected_key_id = key_id(key) if key is not None else None
        self.events = 0
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.checkpoints = 0
        self.signed = 0
        self.since_checkpoint = 0
        self.interval = 0
        self.last_was_final = False
        self.notes: list[str] = []

    def result(self, problem: VerifyProblem | None) -> VerifyResult:
        return VerifyResult(
            ok=problem is None,
            events=self.events,
            last_seq=self.last_seq,
            last_hash=self.last_hash,
            checkpoints=self.checkpoints,
            signed_checkpoints_checked=self.signed,
            closed=self.last_was_final,
            problem=problem,
            notes=tuple(self.notes),
        )

    def check_line(self, number: int, raw: bytes) -> VerifyProblem | None:
        expected_seq = self.last_seq + 1

        def bad(what: str, seq: int = expected_seq) -> VerifyProblem:
            return VerifyProblem(line=number, seq=seq, what=what)

        if not raw.strip():
            return bad("blank line where an event was expected")
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return bad(f"line is not valid JSON ({exc})")
        if not isinstance(event, dict):
            return bad("line is not a JSON object")
        if event.get("schema") != SCHEMA:
            return bad(f"schema is {event.get('schema')!r}, expected {SCHEMA!r}")
        version = event.get("schema_version")
        if not isinstance(version, str) or version.split(".")[0] != SCHEMA_MAJOR:
            return bad(f"unsupported schema_version {version!r} (this verifier reads {SCHEMA_MAJOR}.x)")
        seq = event.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return bad(f"seq is {seq!r}, not an integer")
        if seq != expected_seq:
            if seq > expected_seq:
                gap = seq - expected_seq
                return bad(f"seq gap: expected {expected_seq}, found {seq} ({gap} event(s) missing)")
            return bad(f"seq out of order: expected {expected_seq}, found {seq} (duplicated or reordered)")
        stored_hash = event.pop("hash", None)
        if not isinstance(stored_hash, str):
            return bad("hash field is missing")
        if event.get("prev_hash") != self.last_hash:
            return bad(
                f"prev_hash does not match the hash of seq {self.last_seq} "
                "(an event before it was changed, removed or inserted)"
            )
        try:
            recomputed = chain_hash(self.last_hash, canonical_json(event))
        except (orjson.JSONEncodeError, UnicodeEncodeError) as exc:
            return bad(f"event cannot be re-rendered canonically ({exc})")
        if recomputed != stored_hash:
            return bad("hash mismatch: the event's content was altered after it was written")
        if event.get("event") == CHECKPOINT:
            problem = self.check_checkpoint(event, seq, bad)
            if problem is not None:
                return problem
        else:
            self.since_checkpoint += 1
            self.last_was_final = False
            if self.key is not None and self.interval and self.since_checkpoint > self.interval:
                return bad(
                    f"missing checkpoint: {self.since_checkpoint} events since the last one, "
                    f"signed interval is {self.interval}"
                )
        self.events += 1
        self.last_seq = seq
        self.last_hash = stored_hash
        return None

    def check_checkpoint(
        self, event: dict[str, Any], seq: int, bad: Callable[..., VerifyProblem]
    ) -> VerifyProblem | None:
        self.checkpoints += 1
        covers_seq, covers_hash = event.get("covers_seq"), event.get("covers_hash")
        if covers_seq != self.last_seq or covers_hash != self.last_hash:
            return bad(f"checkpoint anchors seq {covers_seq!r} but the chain is at seq {self.last_seq}", seq)
        final = event.get("final") is True
        interval = event.get("interval", 0)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 0:
            return bad(f"checkpoint interval {interval!r} is invalid", seq)
        if self.key is not None:
            signature = event.get("signature")
            if not isinstance(signature, str):
                return bad("checkpoint is not signed but a key was given", seq)
            if event.get("key_id") != self.expected_key_id:
                return bad(f"checkpoint was signed with another key (key_id {event.get('key_id')!r})", seq)
            message = checkpoint_message(
                seq=seq, covers_seq=self.last_seq, covers_hash=self.last_hash, final=final, interval=interval
            )
            if not signature_valid(self.key, message, signature):
                return bad(
                    "checkpoint signature is invalid: the events it anchors (or its flags) were rewritten",
                    seq,
                )
            self.signed += 1
        self.interval = interval
        self.since_checkpoint = 0
        self.last_was_final = final
        return None


def verify_log(
    path: str | os.PathLike[str], *, key: bytes | None = None, expect_closed: bool = False
) -> VerifyResult:
    """Verify ``path`` completely; stops at the first problem and says where and what."""
    v = _Verifier(key, expect_closed)
    for number, raw, complete in iter_raw_lines(path):
        if not complete:
            if not raw:
                continue
            return v.result(
                VerifyProblem(
                    line=number,
                    seq=v.last_seq + 1,
                    what=(
                        f"partial last line ({len(raw)} bytes, no newline): an interrupted write; "
                        f"the {v.events} complete event(s) before it verify"
                    ),
                )
            )
        problem = v.check_line(number, raw)
        if problem is not None:
            return v.result(problem)
    end_line = v.events + 1
    if key is not None and v.events and v.checkpoints == 0:
        return v.result(VerifyProblem(end_line, v.last_seq + 1, "a key was given but the log has no checkpoint"))
    if expect_closed and not v.last_was_final:
        what = (
            f"log ends at seq {v.last_seq} without a final checkpoint: truncated, or not closed cleanly"
            if v.events
            else "log is empty but was expected to be closed"
        )
        return v.result(VerifyProblem(end_line, v.last_seq + 1, what))
    if key is None and v.checkpoints:
        v.notes.append("checkpoint signatures not checked (no key given)")
    if not expect_closed:
        v.notes.append("tail truncation is only detectable with --expect-closed and a key")
    return v.result(None)
