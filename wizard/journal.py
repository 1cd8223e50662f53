"""The journal: an append-only, hash-chained JSON-lines file. It is the truth of a run.

Every event carries `prev` (SHA-256 of the previous line's bytes) and `hash` (SHA-256 of its own
canonical content), so an edit, deletion or reordering is found by `verify`. Each append is
fsync'ed: a killed process loses at most the event it was writing, and that torn line is
reported and set aside, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from wizard.errors import WizardError
from wizard.redact import redact
from wizard.results import now_iso, to_jsonable

GENESIS = "0" * 64
FORMAT_VERSION = 1


def _canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass
class Problem:
    seq: int | None
    line: int
    what: str


@dataclass
class ReadOutcome:
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    torn_tail: bytes = b""

    @property
    def intact(self) -> bool:
        return not self.problems


class CorruptJournal(WizardError):
    pass


def read_events(path: Path, *, strict_chain: bool = True) -> ReadOutcome:
    """Read and check every event. A torn last line is set aside; anything else is a Problem."""
    outcome = ReadOutcome()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return outcome
    except OSError as exc:
        raise CorruptJournal(f"Cannot read the journal {path}: {exc.strerror}.", "Check the path and its permissions.") from None
    if raw and not raw.endswith(b"\n"):
        cut = raw.rfind(b"\n") + 1
        outcome.torn_tail = raw[cut:]
        raw = raw[:cut]
    prev = GENESIS
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            outcome.problems.append(Problem(None, number, "blank line inside the journal"))
            continue
        try:
            event = json.loads(line)
            if not isinstance(event, dict):
                raise ValueError("not an object")
        except ValueError:
            outcome.problems.append(Problem(None, number, "line is not a JSON event (edited or damaged)"))
            prev = line_hash(line)
            continue
        seq = event.get("seq")
        expected_seq = len(outcome.events) + len([p for p in outcome.problems if p.seq is None and "JSON" in p.what])
        if strict_chain:
            if event.get("hash") != event_hash(event):
                outcome.problems.append(Problem(seq, number, f"event {seq} was edited (its content no longer matches its hash)"))
            elif event.get("prev") != prev:
                if seq != expected_seq:
                    outcome.problems.append(
                        Problem(seq, number, f"event {seq} is out of place: expected event {expected_seq} here (an event was removed or reordered)")
                    )
                else:
                    outcome.problems.append(Problem(seq, number, f"event {seq} does not follow the event before it (chain broken)"))
        outcome.events.append(event)
        prev = line_hash(line)
    return outcome


class Journal:
    """Appends events. One writer per file: a lock file keeps a second wizard from interleaving."""

    def __init__(self, path: Path, *, run_id: str | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        outcome = read_events(self.path)
        self.events = outcome.events
        self.problems = outcome.problems
        self._repair_torn_tail(outcome.torn_tail)
        self._prev = GENESIS
        if self.events:
            self._prev = line_hash(self._last_line())
        self.seq = len(self.events) + len([p for p in self.problems if p.seq is None and "JSON" in p.what])
        self.session = uuid.uuid4().hex[:12]
        self._mono0 = time.monotonic()
        first = self.events[0] if self.events else None
        self.run_id = (first or {}).get("run") or run_id or uuid.uuid4().hex[:16]
        self.listeners: list = []

    def _last_line(self) -> bytes:
        with self.path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            block = min(size, 1 << 20)
            fh.seek(size - block)
            data = fh.read()
        return data.rstrip(b"\n").rsplit(b"\n", 1)[-1]

    def _repair_torn_tail(self, torn: bytes) -> None:
        if not torn:
            return
        # A crash mid-write leaves a partial line; keep the file appendable and say what was set aside.
        size = self.path.stat().st_size
        with self.path.open("r+b") as fh:
            fh.truncate(size - len(torn))
            fh.flush()
            os.fsync(fh.fileno())
        self.torn_repaired = {"bytes": len(torn), "sha256": hashlib.sha256(torn).hexdigest()}

    def append(self, type_: str, **payload: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "run": self.run_id,
            "session": self.session,
            "ts": now_iso(),
            "mono": round(time.monotonic() - self._mono0, 6),
            "type": type_,
            **to_jsonable(payload),
            "prev": self._prev,
        }
        event = json.loads(redact(json.dumps(event)))
        event["hash"] = event_hash(event)
        line = _canonical(event)
        with self.path.open("ab") as fh:
            fh.write(line + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._prev = line_hash(line)
        self.seq += 1
        self.events.append(event)
        for listener in list(self.listeners):
            listener(event)
        return event

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.events)
