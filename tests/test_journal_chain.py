"""The chain's fast check in a second process (wizard/journal/chain.py run as a script), as the
offline review runs it beside the fold: same answers as the in-process check, and a chain that
does not hold still gets the full read that names the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

from wizard.journal import JournalIndex, verify
from wizard.journal.store import ChainCheckProcess, FastChain
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
