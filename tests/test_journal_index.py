"""The line index's one-read build (refresh_lines, which the review's fold reads its lines from)
gives the same index as the buffered pass, torn last line and later appends included."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.journal import JournalIndex

JOURNAL = Path(__file__).resolve().parent / "golden" / "journal.jsonl"


@pytest.mark.parametrize("tail", [b"", b'{"seq":162,"torn', b"\n"])
def test_refresh_lines_builds_the_same_index_as_refresh(tmp_path: Path, tail: bytes):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(JOURNAL.read_bytes() + tail)
    built, read = JournalIndex(path), JournalIndex(path, build=False)
    lines = read.refresh_lines()
    assert lines == [line for _, line in built.lines()]
    assert (read.offsets, read.end, read.torn) == (built.offsets, built.end, built.torn)
    kept = JournalIndex(path, build=False)
    assert kept.refresh_lines(keepends=True) == [line + b"\n" for line in lines]
    assert (kept.offsets, kept.end, kept.torn) == (built.offsets, built.end, built.torn)
    assert read.event(len(read) - 1) == built.event(len(built) - 1)


def test_refresh_lines_on_an_index_already_built_reads_what_was_appended(tmp_path: Path):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b'{"a":1}\n')
    index = JournalIndex(path)
    with path.open("ab") as fh:
        fh.write(b'{"b":2}\n{"c":')
    assert index.refresh_lines() == [b'{"a":1}', b'{"b":2}'] and index.torn == b'{"c":'
    assert index.refresh_lines(keepends=True) == [b'{"a":1}\n', b'{"b":2}\n']
    assert [index.event(i) for i in range(len(index))] == [{"a": 1}, {"b": 2}]


def test_refresh_lines_of_a_missing_or_empty_journal(tmp_path: Path):
    assert JournalIndex(tmp_path / "none.jsonl", build=False).refresh_lines() == []
    (tmp_path / "empty.jsonl").write_bytes(b"")
    index = JournalIndex(tmp_path / "empty.jsonl", build=False)
    assert index.refresh_lines() == [] and len(index) == 0 and index.end == 0
