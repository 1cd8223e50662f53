"""Fold.feed_lines (the review's fold, most events read off their heads) gives the fold that feeding
every event whole gives: on the golden journal, on a generated one, and on lines that are odd
(damaged, blank, keys missing, a migration's result) which it must hand to the whole-event path."""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from wizard.journal.fold import Fold
from wizard.journal.index import JournalIndex, parse_line

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "journal.jsonl"


def _result(result: Any) -> Any:
    if result is None:
        return None
    return {f.name: getattr(result, f.name) for f in fields(result)}


def _attempt(a: Any, index: JournalIndex) -> dict[str, Any]:
    sql = [str((index.event(line) or {}).get("text", "")) for line in a.sql_lines] + a.sql
    return {"sql_lines": a.sql_lines, "sql_read": a.sql, "lazy": type(a.result).__name__,"env": a.env, "task": a.task, "step": a.step, "kind": a.kind, "title": a.title, "started_at": a.started_at,
            "started_seq": a.started_seq, "role": a.role, "save_as": a.save_as, "finished_at": a.finished_at,
            "result": _result(a.result), "sql": sql, "answers": a.answers, "interrupted": a.interrupted,
            "fingerprint": a.fingerprint}


def _snapshot(fold: Fold, index: JournalIndex) -> dict[str, Any]:
    return {
        "run_id": fold.run_id, "runbook": fold.runbook, "sessions": fold.sessions, "event_count": fold.event_count,
        "last_event_at": fold.last_event_at,
        "steps": {k: (_result(r.result), r.started_at, r.started_seq, r.running) for k, r in fold.steps.items()},
        "facts": {k: fold.facts[k] for k in fold.facts}, "fact_sources": fold.fact_sources,
        "tasks": {k: vars(t) for k, t in fold.tasks.items()}, "passes": [vars(p) for p in fold.passes],
        "pins": fold.pins, "answers": fold.answers, "migrations": fold.migrations,
        "last_fingerprints": fold.last_fingerprints, "notes": fold.notes, "envs": {k: vars(v) for k, v in fold.envs.items()},
        "left_out": fold.left_out, "answer_sources": fold.answer_sources, "incidents": fold.incidents,
        "attempts": [_attempt(a, index) for a in fold.attempts],
        "by_task": {k: [fold.attempts.index(a) for a in v] for k, v in fold.attempts_by_task.items()},
        "open": list(fold._open), "unfinished": {k: sorted(v) for k, v in fold._unfinished.items()},
    }


def _both(path: Path) -> tuple[dict[str, Any], dict[str, Any], Fold, JournalIndex]:
    index = JournalIndex(path)
    lines = [line for _, line in index.lines()]
    whole = Fold(load=index.event)
    for i, line in enumerate(lines):
        event = parse_line(line, i, lazy=True)
        if event is not None:
            whole.feed(event)
    heads = Fold(load=index.event)
    ticks: list[int] = []
    read = JournalIndex(path, build=False)  # as the review reads them: one read, each line with its newline
    with_newlines = read.refresh_lines(keepends=True)
    assert with_newlines == [line + b"\n" for line in lines] and read.offsets == index.offsets
    heads.feed_lines(with_newlines, ticks.append, 7)
    assert ticks == list(range(0, len(lines), 7))
    return _snapshot(whole, index), _snapshot(heads, index), heads, index


def test_the_golden_journal_folds_the_same_off_heads():
    whole, heads, fold, index = _both(GOLDEN)
    assert heads == whole
    assert fold.attempts and any(a.sql_lines for a in fold.attempts)
    assert fold.last_event == index.event(len(index) - 1)  # the last event whole, its hash too
    index.close()


def test_a_generated_journal_folds_the_same_off_heads(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_review import generate_journal

    path = generate_journal(tmp_path / "j.jsonl", 2500)
    whole, heads, _, index = _both(path)
    assert heads == whole
    index.close()


def _odd(event: dict[str, Any], **changes: Any) -> bytes:
    event = {**event, **changes}
    for key in [k for k, v in changes.items() if v is _DROP]:
        del event[key]
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


_DROP = object()


@pytest.mark.parametrize("change", [
    {"ts": _DROP}, {"seq": _DROP}, {"seq": -3}, {"step": _DROP}, {"env": _DROP}, {"env": None}, {"ts": ""},
    {"role": _DROP}, {"task": _DROP}, {"save_as": _DROP}, {"title": _DROP}, {"run": _DROP},
])
def test_odd_lines_fold_the_same_off_heads(tmp_path: Path, change: dict[str, Any]):
    lines = GOLDEN.read_bytes().splitlines()
    events = [json.loads(line) for line in lines]
    out = []
    for i, (line, event) in enumerate(zip(lines, events)):
        if event["type"] in ("sql", "step_started", "step_finished") and i % 3 == 0:
            if event["type"] == "step_finished" and "ts" in change:
                out.append(line)  # a finish without its time stops the fold, whichever way it is fed
                continue
            if event["type"] == "step_started" and set(change) & {"ts", "step"}:
                out.append(line)  # as does a start without its step or time
                continue
            out.append(_odd(event, **change))
        else:
            out.append(line)
    out[5:5] = [b"", b"{not json", b"[1, 2]", b'{"type":"sql","result":3}']
    # keys out of their canonical order: parse_line reads such an event whole
    out[9:9] = [json.dumps({"type": e["type"], **e}, separators=(",", ":")).encode() for e in events[:40]
                if e["type"] in ("sql", "step_finished")][:4]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\n".join(out) + b"\n")
    whole, heads, _, index = _both(path)
    assert heads == whole
    index.close()
