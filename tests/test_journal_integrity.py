"""Tamper evidence: `journal verify` names the first broken event for an edit, a removal, a
reordering, a journal cut short and a damaged line; a torn last line is reported, never fatal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wizard import cli
from wizard.journal.store import Journal, _canonical, event_hash, head_path, read_events, verify
from wizard.results import StepResult

EVENTS = 13


def _journal(tmp_path: Path) -> Path:
    """A small realistic run: a day with steps that measured things, written by the Journal API."""
    path = tmp_path / "week1.jsonl"
    journal = Journal(path)
    journal.append("run_started", runbook_path="week1.toml", runbook_title="Week 1", runbook_sha256="0" * 64)
    journal.append("session_started", app_version="test", pid=1, argv=[])
    journal.append("day_started", env="sandbox-staging", day="monday", pass_id=1, tasks=None)
    for n, (step, value) in enumerate((("1.6.table_count", 52), ("1.6.core_counts", 15), ("2.5.table_count", 43)), start=1):
        task = step.rsplit(".", 1)[0]
        journal.append("step_started", env="sandbox-staging", task=task, step=step, kind="query", title=step)
        journal.append("sql", env="sandbox-staging", step=step, text=f"SELECT {value};")
        result = StepResult(step, "query", "passed", data={"scalar": value}, started_at=f"2026-11-23T09:0{n}:00+00:00",
                            duration_s=0.01 * n, environment="sandbox-staging")
        journal.append("step_finished", env="sandbox-staging", role="staging", task=task, step=step, save_as=None,
                       result=result.to_dict())
    journal.append("day_finished", env="sandbox-staging", day="monday", pass_id=1, ok=True, stopped_at=None)
    assert len(journal.events) == EVENTS
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _write(path: Path, lines: list[bytes], *, final_newline: bool = True) -> None:
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))


def _run_verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["journal", "verify", str(path)])
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())


def test_an_untouched_journal_is_intact_and_its_head_matches(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    result = verify(path)
    assert result.intact and not result.warnings
    head = json.loads(head_path(path).read_bytes())
    assert head["seq"] == EVENTS - 1 and head["size"] == path.stat().st_size
    code, out = _run_verify(path, capsys)
    assert code == 0 and f"intact: {EVENTS} events" in out and "head sidecar matches" in out


def test_every_event_carries_run_time_and_chain_fields(tmp_path: Path):
    path = _journal(tmp_path)
    events = read_events(path).events
    assert len({e["run"] for e in events}) == 1
    for event in events:
        assert {"run", "ts", "mono", "seq", "prev", "hash", "session"} <= set(event)
        if event["type"].startswith("step_") or event["type"] == "sql":
            assert event["env"] == "sandbox-staging"


def test_one_edited_byte_names_the_event(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    lines = _lines(path)
    assert b'"scalar":52' in lines[5]
    lines[5] = lines[5].replace(b'"scalar":52', b'"scalar":53')  # one byte: 52 -> 53
    _write(path, lines)
    first = verify(path).first
    assert first is not None and (first.seq, first.line, first.kind) == (5, 6, "edited")
    code, out = _run_verify(path, capsys)
    assert code == 1 and "event 5 (line 6) was edited" in out
    assert "also" not in out  # the knock-on broken link to event 6 is not reported again


def test_an_edit_that_breaks_the_json_names_the_event(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    lines = _lines(path)
    lines[7] = lines[7].replace(b'"', b"'", 1)
    _write(path, lines)
    code, out = _run_verify(path, capsys)
    assert code == 1 and "event 7 (line 8) is damaged" in out


def test_an_edit_with_a_recomputed_hash_is_still_found(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    lines = _lines(path)
    event = json.loads(lines[8])
    event["result"]["data"]["scalar"] = 99
    event["hash"] = event_hash(event)
    lines[8] = _canonical(event)
    _write(path, lines)
    first = verify(path).first
    assert first is not None and (first.seq, first.kind) == (8, "edited")
    code, out = _run_verify(path, capsys)
    assert code == 1 and "event 8 (line 9) was rewritten" in out


def test_an_edit_of_formatting_only_is_found(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    lines = _lines(path)
    lines[3] = lines[3].replace(b",", b", ", 1)  # same JSON, different bytes
    _write(path, lines)
    code, out = _run_verify(path, capsys)
    assert code == 1 and "event 3 (line 4) was edited: its bytes differ" in out


def test_a_removed_event_is_named(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    lines = _lines(path)
    del lines[6]
    _write(path, lines)
    first = verify(path).first
    assert first is not None and (first.seq, first.kind) == (6, "removed")
    code, out = _run_verify(path, capsys)
    assert code == 1 and "event 6 was removed" in out


def test_removing_the_first_events_is_found(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    _write(path, _lines(path)[2:])
    code, out = _run_verify(path, capsys)
    assert code == 1 and "events 0-1 were removed" in out


def test_reordered_events_are_named(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    lines = _lines(path)
    lines[4], lines[5] = lines[5], lines[4]
    _write(path, lines)
    first = verify(path).first
    assert first is not None and (first.seq, first.kind) == (5, "reordered")
    code, out = _run_verify(path, capsys)
    assert code == 1 and "event 5 (line 5) is out of order: event 4 should come before it" in out


def test_a_journal_cut_short_is_found_by_its_head_sidecar(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    _write(path, _lines(path)[:-3])  # the chain of what is left is perfect
    assert read_events(path).intact
    first = verify(path).first
    assert first is not None and (first.seq, first.kind) == (10, "truncated")
    code, out = _run_verify(path, capsys)
    assert code == 1 and "cut short: it ends at event 9 but its head sidecar recorded event 12 (events 10-12 missing)" in out


def test_a_cut_through_the_last_line_is_truncation_not_a_crash(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[:-40])  # the last event was complete (the sidecar says so), now it is torn
    code, out = _run_verify(path, capsys)
    assert code == 1 and "event 12 missing" in out and "the last line is torn" in out


def test_a_missing_head_sidecar_is_a_warning_not_an_error(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    head_path(path).unlink()
    code, out = _run_verify(path, capsys)
    assert code == 0 and "no head sidecar" in out and "intact" in out


def test_a_head_one_event_behind_is_a_crash_between_writes(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    head = head_path(path).read_bytes()
    Journal(path).append("note", text="one more")
    head_path(path).write_bytes(head)  # as if the wizard died after the line, before the sidecar
    code, out = _run_verify(path, capsys)
    assert code == 0 and "one event behind" in out


def test_a_torn_last_line_is_reported_and_ignored(tmp_path: Path, capsys):
    path = _journal(tmp_path)
    with path.open("ab") as fh:
        fh.write(b'{"env":"sandbox-staging","mono":0.5,"prev":"ab')  # killed mid-write
    result = verify(path)
    assert result.intact and len(result.outcome.events) == EVENTS and result.outcome.torn_tail
    code, out = _run_verify(path, capsys)
    assert code == 0 and "the last line is torn" in out and "ignored" in out
    journal = Journal(path)  # reopening sets the torn line aside and appending goes on
    assert journal.torn_repaired["bytes"] > 0 and journal.head_problem is None
    journal.append("journal_repaired", **journal.torn_repaired)
    assert verify(path).intact and not verify(path).warnings


def test_a_journal_cut_short_is_refused_on_reopening_and_left_as_evidence(tmp_path: Path):
    from wizard.session.integrity import JournalBroken
    from wizard.session.journals import open_journal

    path = _journal(tmp_path)
    _write(path, _lines(path)[:-2])
    before = path.read_bytes()
    runbook = tmp_path / "week1.toml"
    runbook.write_text("title = 'x'\n")
    with pytest.raises(JournalBroken) as refused:
        open_journal(path, str(runbook), "Week 1")
    assert "events 11-12 missing" in refused.value.what and "--journal NEW" in refused.value.fix
    assert path.read_bytes() == before, "a refused journal was written to"


def test_a_missing_journal_is_a_clear_error(tmp_path: Path, capsys):
    code, out = _run_verify(tmp_path / "nope.jsonl", capsys)
    assert code != 0 and "No journal at" in out


def _tampered(kind: str, path: Path) -> None:
    lines = _lines(path)
    if kind == "edit":
        lines[5] = lines[5].replace(b'"scalar":52', b'"scalar":53')
    elif kind == "remove":
        del lines[6]
    elif kind == "reorder":
        lines[4], lines[5] = lines[5], lines[4]
    elif kind == "cut":
        lines = lines[:-3]
    elif kind == "damage":
        lines[7] = lines[7][:-5]
    _write(path, lines)


@pytest.mark.parametrize("kind", ["intact", "edit", "remove", "reorder", "cut", "damage"])
def test_the_fast_check_agrees_with_the_full_read(tmp_path: Path, kind: str):
    path = _journal(tmp_path)
    if kind != "intact":
        _tampered(kind, path)
    fast, full = verify(path, fast=True), verify(path)
    assert [(p.line, p.kind, p.what) for p in fast.problems] == [(p.line, p.kind, p.what) for p in full.problems]
    assert fast.warnings == full.warnings and fast.count == full.count
    assert fast.outcome.sparse == (kind in ("intact", "cut"))  # a cut chain is whole: only the sidecar knows


def test_the_fast_check_copes_with_nested_keys_named_like_the_chain(tmp_path: Path):
    path = tmp_path / "nested.jsonl"
    journal = Journal(path)
    journal.append("note", text="a query result may have columns called hash, prev or seq",
                   rows=[{"hash": "x", "prev": "y", "seq": 3}])
    journal.append("note", text="after it")
    result = verify(path, fast=True)
    assert result.intact and result.outcome.sparse and result.count == 2
