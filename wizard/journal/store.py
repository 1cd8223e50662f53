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
from typing import Any, Callable, Iterator

from wizard.errors import WizardError
from wizard.journal.chain import GENESIS, ChainScan, hash_holds, line_hash
from wizard.journal.fold import Fold, replay
from wizard.redact import redact
from wizard.results import now_iso, to_jsonable

FORMAT_VERSION = 1


def _canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


@dataclass
class Problem:
    seq: int | None
    line: int
    what: str
    kind: str = "damaged"  # edited | removed | reordered | damaged | chain | blank | truncated | head


@dataclass
class ReadOutcome:
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    torn_tail: bytes = b""
    next_seq: int = 0  # the seq the next appended event gets (damaged lines keep their place)
    last_line: bytes = b""  # the last complete line (its hash is the next event's `prev`)
    line_count: int = 0  # complete lines in the file
    event_count: int = 0
    sparse: bool = False  # `events` holds only the events a fast check needed (see verify(fast=True))
    by_seq: Any = None  # in a sparse outcome: seq -> event, read on demand

    @property
    def intact(self) -> bool:
        return not self.problems


class CorruptJournal(WizardError):
    pass


class JournalWriteFailed(WizardError):
    """An append did not reach the disk: the session appends nothing more."""


def _span(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first}-{last}"


def read_events(path: Path, *, strict_chain: bool = True) -> ReadOutcome:
    """Read and check every event. A torn last line is set aside; anything else is a Problem.

    Each problem names the first event it concerns: an edited event (its bytes no longer match its
    hash, or its hash was recomputed but the next event still links to the original), removed
    events (a gap in `seq` where the chain link fails), reordered events, and damaged lines. A
    problem's knock-on effect on the next link is not reported twice.
    """
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
    lines = raw.split(b"\n")[:-1] if raw else []
    parsed: list[dict[str, Any] | None] = []
    later: dict[int, int] = {}  # seq -> last line index holding it
    for index, line in enumerate(lines):
        event: Any = None
        if line.strip():
            try:
                event = json.loads(line)
            except ValueError:
                event = None
        if not isinstance(event, dict):
            event = None
        parsed.append(event)
        if event is not None and isinstance(event.get("seq"), int):
            later[event["seq"]] = index
    problems = outcome.problems
    prev, expected, reported = GENESIS, 0, False  # reported: the line before already has a problem
    run_id = None
    for index, (line, event) in enumerate(zip(lines, parsed)):
        number = index + 1
        if event is None:
            if not line.strip():
                problems.append(Problem(None, number, f"line {number} is blank inside the journal (where event {expected} belongs)", "blank"))
            else:
                problems.append(Problem(expected, number, f"event {expected} (line {number}) is damaged: the line is not a JSON event any more", "damaged"))
            prev, expected, reported = line_hash(line), expected + 1, True
            continue
        seq = event.get("seq")
        seq_int = seq if isinstance(seq, int) else None
        run_id = run_id or event.get("run")
        if strict_chain:
            problem: Problem | None = None
            fast = index < len(lines) - 1 and hash_holds(line, event.get("hash"))  # the next event's link checks the rest
            if not fast and event.get("hash") != event_hash(event):
                problem = Problem(seq_int, number, f"event {seq} (line {number}) was edited: its content no longer matches its hash", "edited")
            elif not fast and line != _canonical(event):
                problem = Problem(seq_int, number, f"event {seq} (line {number}) was edited: its bytes differ from what the wizard wrote", "edited")
            elif event.get("prev") != prev:
                if seq_int is not None and seq_int > expected:
                    if later.get(expected, -1) > index:
                        problem = Problem(seq_int, number, f"event {seq} (line {number}) is out of order: event {expected} should come before it (events were reordered)", "reordered")
                    else:
                        problem = Problem(expected, number, f"{_span(expected, seq_int - 1)} {'was' if seq_int - 1 == expected else 'were'} removed: line {number} holds event {seq}, which links to an event that is not there", "removed")
                elif seq_int is not None and seq_int < expected:
                    problem = Problem(seq_int, number, f"event {seq} (line {number}) is out of order: it comes after event {expected - 1} (events were reordered or repeated)", "reordered")
                elif not reported:
                    if event.get("run") != run_id:
                        problem = Problem(seq_int, number, f"event {seq} (line {number}) belongs to another run ({event.get('run')}): it was spliced in", "chain")
                    elif index > 0:
                        problem = Problem(seq_int - 1 if seq_int else None, number - 1,
                                          f"event {expected - 1} (line {number - 1}) was rewritten: its hash was recomputed, but event {seq} still links to the original", "edited")
                    else:
                        problem = Problem(seq_int, number, f"event {seq} (line {number}) does not start the chain: events before it were removed", "removed")
            if problem is not None:
                problems.append(problem)
            reported = problem is not None
        outcome.events.append(event)
        if seq_int is not None:
            expected = max(expected, seq_int + 1)
        else:
            expected += 1
        prev = line_hash(line)
    outcome.next_seq = expected
    outcome.last_line = lines[-1] if lines else b""
    outcome.line_count = len(lines)
    outcome.event_count = len(outcome.events)
    return outcome


class FastChain(ChainScan):
    """The fast check of an intact journal (chain.ChainScan), fed its complete lines in order; the
    last line is checked in full by `outcome`. Once anything is off it stops (`held` False): then
    read_events, which names the problem, is used instead."""

    def outcome(self, last_line: bytes, torn: bytes, by_seq: Callable[[int], dict[str, Any] | None]) -> ReadOutcome | None:
        """The sparse outcome verify() reads, or None when the chain did not hold."""
        return chain_outcome(self.held, self.count, self.flagged, last_line, torn, by_seq)


def chain_outcome(held: bool, count: int, flagged: list[int], last_line: bytes, torn: bytes,
                  by_seq: Callable[[int], dict[str, Any] | None]) -> ReadOutcome | None:
    """The sparse outcome of a fast check (held, lines checked, lines of journal_problem_found events),
    or None when the chain did not hold. In an intact chain, line i holds event seq i."""
    if not held or not count:
        return None
    try:
        last = json.loads(last_line)
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("hash") != event_hash(last) or last_line != _canonical(last):
        return None
    events = [e for e in (by_seq(i) for i in flagged) if e is not None and e.get("seq") != last.get("seq")]
    return ReadOutcome(events=events + [last], torn_tail=torn, next_seq=count, last_line=last_line, line_count=count,
                       event_count=count, sparse=True, by_seq=by_seq)


class ChainCheckProcess:
    """The fast check run in a second process (chain.py as a script, the standard library only),
    over the file's first `end` bytes, while this process does something else with them.
    `outcome` waits for it; None when the chain did not hold or the process failed (then the
    caller checks in-process, or with read_events, which names the problem)."""

    def __init__(self, path: Path, end: int) -> None:
        import subprocess
        import sys

        from wizard.journal import chain

        try:
            self.proc: Any = subprocess.Popen([sys.executable, "-I", "-S", chain.__file__, str(path), str(end)],
                                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        except OSError:
            self.proc = None

    def done(self) -> bool:
        return self.proc is None or self.proc.poll() is not None

    def result(self) -> tuple[bool, int, list[int]] | None:
        """(held, lines checked, lines of journal_problem_found events), or None if the process failed."""
        if self.proc is None:
            return None
        out, _ = self.proc.communicate()
        self.proc = None
        try:
            found = json.loads(out)
            return bool(found["held"]), int(found["count"]), [int(i) for i in found["flagged"]]
        except (ValueError, KeyError, TypeError):
            return None

    def cancel(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _read_fast(path: Path) -> ReadOutcome | None:
    """FastChain over the file's bytes."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    torn = b""
    if raw and not raw.endswith(b"\n"):
        cut = raw.rfind(b"\n") + 1
        torn, raw = raw[cut:], raw[:cut]
    lines = raw.split(b"\n")[:-1] if raw else []
    chain = FastChain()
    for line in lines:
        chain.feed(line)
    count = len(lines)

    def by_seq(seq: int) -> dict[str, Any] | None:
        return json.loads(lines[seq]) if isinstance(seq, int) and 0 <= seq < count else None

    return chain.outcome(lines[-1], torn, by_seq) if lines else None


# --- the head sidecar: the last event's seq and hash, so a journal cut short is found -----------

HEAD_SUFFIX = ".head"


def head_path(path: Path) -> Path:
    return path.with_name(path.name + HEAD_SUFFIX)


def write_head(path: Path, event: dict[str, Any], line: bytes, size: int) -> None:
    """Record the last event atomically (tmp + os.replace) beside the journal."""
    head = {"journal": path.name, "run": event.get("run"), "seq": event.get("seq"), "hash": event.get("hash"),
            "line_sha256": line_hash(line), "size": size, "ts": event.get("ts")}
    target = head_path(path)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(_canonical(head) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def read_head(path: Path) -> dict[str, Any] | None:
    try:
        head = json.loads(head_path(path).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"unreadable": True}
    return head if isinstance(head, dict) else {"unreadable": True}


def check_head(path: Path, outcome: ReadOutcome) -> tuple[list[Problem], list[str]]:
    """Compare the journal's end with its head sidecar: (problems, warnings)."""
    head = read_head(path)
    name = head_path(path).name
    if head is None:
        return [], [f"no head sidecar ({name}): events cut off the end of the journal cannot be detected "
                    "(it is written with every new event)"]
    if head.get("unreadable") or not isinstance(head.get("seq"), int):
        return [], [f"the head sidecar {name} is unreadable; events cut off the end cannot be detected"]
    events = outcome.events
    lines = outcome.line_count or len(events)
    last = events[-1] if events else None
    last_seq = last.get("seq") if last else -1
    torn = " (and the last line is torn)" if outcome.torn_tail else ""
    if last is not None and head.get("run") not in (None, last.get("run")):
        return [Problem(last_seq, lines, f"the head sidecar belongs to run {head.get('run')}, not to this journal's run {last.get('run')}: "
                        "the journal was replaced", "head")], []
    if not isinstance(last_seq, int):
        return [], []
    if head["seq"] > last_seq:
        return [Problem(last_seq + 1, lines + 1, f"the journal was cut short: it ends at event {last_seq} but its head sidecar recorded "
                        f"event {head['seq']} ({_span(last_seq + 1, head['seq'])} missing){torn}", "truncated")], []
    if outcome.sparse:
        match = outcome.by_seq(head["seq"])
    else:
        match = next((e for e in reversed(events) if e.get("seq") == head["seq"]), None)
    if match is None or match.get("hash") != head.get("hash"):
        return [Problem(head["seq"], lines, f"event {head['seq']} is not the event the head sidecar recorded: the end of the journal was rewritten", "head")], []
    behind = last_seq - head["seq"]
    if behind == 1:
        return [], [f"the head sidecar is one event behind (the wizard stopped between writing event {last_seq} and updating {name})"]
    if behind > 1:
        return [], [f"the head sidecar is {behind} events behind: events {head['seq'] + 1}-{last_seq} were appended without updating it"]
    return [], []


@dataclass
class Verification:
    path: Path
    outcome: ReadOutcome
    problems: list[Problem]
    warnings: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.line) if self.problems else None

    @property
    def count(self) -> int:
        return self.outcome.event_count

    @property
    def last_event(self) -> dict[str, Any]:
        return self.outcome.events[-1] if self.outcome.events else {}

    def summary(self) -> str:
        count = self.count
        if self.intact:
            return f"intact: {count} events, hash chain unbroken"
        first = self.first
        return f"BROKEN at line {first.line}: {first.what}"  # type: ignore[union-attr]


def verify(path: Path, *, fast: bool = False, checked: ReadOutcome | None = None) -> Verification:
    """Everything `journal verify` checks: the chain, its recorded truncations, and the head sidecar.

    fast=True checks an intact journal from its bytes alone (seconds faster on large journals) and
    keeps only the events it needs (`outcome.sparse`); anything off falls back to the full read,
    which names the first broken event. fast=False keeps every event (the exports need them).
    `checked`: a FastChain outcome already made while reading the file for something else.
    """
    outcome = checked or (_read_fast(Path(path)) if fast else None) or read_events(path)
    problems = list(outcome.problems)
    warnings: list[str] = []
    for number, event in enumerate(outcome.events, start=1):
        if outcome.sparse:
            number = int(event.get("seq", 0)) + 1
        if event.get("type") == "journal_problem_found":
            problems.append(Problem(event.get("seq"), number, f"event {event.get('seq')} records what was found when the journal was "
                                    f"reopened: {event.get('note', '')}", event.get("kind") or "truncated"))
    head_problems, head_warnings = check_head(path, outcome)
    problems += head_problems
    warnings += head_warnings
    if outcome.torn_tail:
        warnings.insert(0, f"the last line is torn ({len(outcome.torn_tail)} bytes, a crash mid-write); it is ignored")
    return Verification(Path(path), outcome, problems, warnings)


class Journal:
    """Appends events. One writer per file: a lock file keeps a second wizard from interleaving."""

    def __init__(self, path: Path, *, run_id: str | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        outcome = read_events(self.path)
        self.events = outcome.events
        self.problems = outcome.problems
        # The end of the journal against its head sidecar: a journal cut short (or whose end was
        # rewritten) is found now, before the next append moves the sidecar on. The caller
        # journals it (`journal_problem_found`) so the evidence stays in the chain.
        self.head_problem = next(iter(check_head(self.path, outcome)[0]), None) if outcome.events else None
        self._repair_torn_tail(outcome.torn_tail)
        self._prev = line_hash(outcome.last_line) if outcome.last_line else GENESIS
        self.seq = outcome.next_seq
        self.session = uuid.uuid4().hex[:12]
        self._mono0 = time.monotonic()
        first = self.events[0] if self.events else None
        self.run_id = (first or {}).get("run") or run_id or uuid.uuid4().hex[:16]
        self.listeners: list = []
        self._fold: Fold | None = None
        self.write_failed: JournalWriteFailed | None = None

    @property
    def fold(self) -> Fold:
        """The journal's read model, replayed once on first use and fed every append after."""
        if self._fold is None:
            self._fold = replay(self.events)
        return self._fold

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
        if self.write_failed:
            raise self.write_failed
        try:
            with self.path.open("ab") as fh:
                fh.write(line + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
                size = fh.tell()
            write_head(self.path, event, line, size)
        except OSError as exc:
            # A full disk or a vanished folder: nothing more is appended by this session (a torn
            # line is set aside when the journal is next opened), and the run stops here.
            self.write_failed = JournalWriteFailed(
                f"Cannot write the journal {self.path}: {exc.strerror or exc}. The run stopped; "
                f"the event being written ({type_}) and anything after it are not recorded.",
                "Free space or fix the folder, then run the same command again: it resumes from what the journal holds.")
            raise self.write_failed from None
        self._prev = line_hash(line)
        self.seq += 1
        self.events.append(event)
        if self._fold is not None:
            self._fold.feed(event)
        for listener in list(self.listeners):
            listener(event)
        return event

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.events)
