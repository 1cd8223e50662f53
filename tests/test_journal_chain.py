"""The chain's fast check in a second process (wizard/journal/chain.py run as a script), as the
offline review runs it beside the fold: same answers as the in-process check, and a chain that
does not hold still gets the full read that names the problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from wizard.journal import JournalIndex, chain, verify
from wizard.journal.store import ChainCheckProcess, FastChain, Journal, _canonical, event_hash
from wizard.session.review import ReviewData

JOURNAL = Path(__file__).resolve().parent / "golden" / "journal.jsonl"


def _in_process(path: Path) -> tuple[bool, int, list[int]]:
    scan = FastChain()
    with JournalIndex(path) as index:
        for _, line in index.lines():
            scan.feed(line)
    return scan.held, scan.count, scan.flagged


def test_second_process_agrees_with_the_in_process_check(tmp_path: Path):
    path = shutil.copy(JOURNAL, tmp_path / "journal.jsonl")
    found = ChainCheckProcess(Path(path), Path(path).stat().st_size).result()
    assert found == _in_process(Path(path))
    assert found[0] and found[1] == len(Path(path).read_bytes().splitlines())


def test_an_edited_event_is_named_by_the_review(tmp_path: Path):
    path = tmp_path / "journal.jsonl"
    lines = JOURNAL.read_bytes().splitlines(keepends=True)
    lines[10] = lines[10].replace(b'"v":1', b'"v":2')
    path.write_bytes(b"".join(lines))
    assert ChainCheckProcess(path, path.stat().st_size).result()[0] is False
    data = ReviewData.open(path, runbook_path=JOURNAL.with_name("week1.toml"), sql_dir=JOURNAL.with_name("sql"))
    data.load()
    result = data.check()
    assert not result.intact and result.first.line == 11
    assert result.summary() == verify(path).summary()


def test_intact_review_matches_verify(tmp_path: Path):
    path = Path(shutil.copy(JOURNAL, tmp_path / "journal.jsonl"))
    shutil.copy(JOURNAL.with_name(JOURNAL.name + ".head"), tmp_path / "journal.jsonl.head") if JOURNAL.with_name(JOURNAL.name + ".head").exists() else None
    data = ReviewData.open(path, runbook_path=JOURNAL.with_name("week1.toml"), sql_dir=JOURNAL.with_name("sql"))
    data.load()
    result = data.check()
    full = verify(path)
    assert (result.intact, result.count, result.summary(), result.warnings) == (full.intact, full.count, full.summary(), full.warnings)


def _edit_keeping_its_hash(line: bytes) -> bytes:
    """The line edited and its own hash recomputed (the next event's link still names the original)."""
    event = json.loads(line.replace(b'"v":1', b'"v":2'))
    event["hash"] = event_hash(event)
    return _canonical(event)


TAMPERS = {
    "intact": lambda lines: lines,
    "edit": lambda lines: lines[:40] + [lines[40].replace(b'"v":1', b'"v":2')] + lines[41:],
    "edit keeping its hash": lambda lines: lines[:40] + [_edit_keeping_its_hash(lines[40])] + lines[41:],
    "remove": lambda lines: lines[:40] + lines[41:],
    "reorder": lambda lines: lines[:40] + [lines[41], lines[40]] + lines[42:],
    "damage": lambda lines: lines[:40] + [lines[40][:-5]] + lines[41:],
    "blank line": lambda lines: lines[:40] + [b""] + lines[40:],
    "last line edited": lambda lines: lines[:-1] + [lines[-1].replace(b'"v":1', b'"v":2')],
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_the_block_check_agrees_with_the_line_by_line_check(tmp_path: Path, monkeypatch, kind: str):
    """scan_file checks blocks of lines at once; whatever was done to the journal, its answer is
    the line-by-line ChainScan's (blocks made small here, so lines straddle them)."""
    monkeypatch.setattr(chain, "BLOCK", 4096)
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in TAMPERS[kind](JOURNAL.read_bytes().splitlines())) + b'{"torn')
    scan = chain.scan_file(str(path), path.stat().st_size)
    assert (scan.held, scan.count, scan.flagged) == _in_process(path)
    assert scan.held == (kind == "intact")


def test_an_intact_journal_is_checked_in_blocks_not_line_by_line():
    lines = JOURNAL.read_bytes().splitlines()
    assert chain._block_holds(lines, chain.GENESIS, 0) is not None
    assert chain._block_holds(lines[1:], chain.GENESIS, 1) is None  # the first link does not hold


def test_the_block_check_reads_nested_keys_and_flagged_events_as_the_line_by_line_check(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(chain, "BLOCK", 512)
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append("note", text="before")
    # A nested key sorting before the chain's own: found first, so that block is read line by line.
    journal.append("note", a_rows=[{"hash": "0" * 64, "prev": "1" * 64, "seq": 1}], text="nested keys")
    journal.append("journal_problem_found", kind="truncated", note="flagged")
    for i in range(20):
        journal.append("note", text=f"after {i}")
    scan = chain.scan_file(str(path), path.stat().st_size)
    assert scan.held and scan.count == 23 and scan.flagged == [2]
    assert (scan.held, scan.count, scan.flagged) == _in_process(path)
    assert verify(path).intact is False and verify(path, fast=True).count == 23  # the flagged event is a problem either way
