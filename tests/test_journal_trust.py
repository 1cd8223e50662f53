"""A journal is verified before it is trusted: `run` refuses an edited, emptied, deleted or cut
journal (exit 2, saying what is broken and how to go on), `status` refuses what is not a journal,
a symlink takes the same writer lock as its target, and production writes re-verify the history."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.journal import Journal
from wizard.session.journals import writer_lock


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path / "data"), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "config"),
           "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "wizard.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def _journal(path: Path, events: int = 12) -> Path:
    journal = Journal(path)
    for number in range(events):
        journal.append("note", text=f"note {number}")
    return path


def _tamper(kind: str, path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    if kind == "edited":
        lines[5] = lines[5].replace(b'"note 5"', b'"note 9"')
    elif kind == "truncated":
        lines = lines[:-3]
    elif kind == "emptied":
        lines = []
    if kind == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"".join(lines))


EXPECTED = {"edited": "was edited", "truncated": "cut short", "emptied": "empty (0 bytes)", "deleted": "is missing"}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_run_refuses_a_journal_that_cannot_be_trusted(tmp_path: Path, kind: str):
    path = _journal(tmp_path / "week.jsonl")
    _tamper(kind, path)
    before = path.read_bytes() if path.exists() else None
    run = _cli(tmp_path, "run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--journal", str(path))
    assert run.returncode == 2, run.stdout + run.stderr
    said = " ".join(run.stderr.split())  # the console wraps long lines at its width
    assert EXPECTED[kind] in said and "--journal NEW" in said, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert (path.read_bytes() if path.exists() else None) == before, "the refused journal was changed"
    assert not list((tmp_path / "data").glob("clusters/*/PG_VERSION")), "a server was set up for a refused journal"
    status = _cli(tmp_path, "status", "--journal", str(path))
    assert status.returncode in (1, 2) and "Traceback" not in status.stderr, status.stdout + status.stderr


def test_status_and_export_on_something_that_is_not_a_journal(tmp_path: Path):
    notes = tmp_path / "NOTES.md"
    notes.write_text("# Week 1\n\n- [ ] backups\n")
    for args in (("status", "--journal", str(notes)), ("export", "--journal", str(notes), "--out", str(tmp_path / "out"))):
        done = _cli(tmp_path, *args)
        assert done.returncode == 2 and "is not a journal" in " ".join(done.stderr.split()), done.stdout + done.stderr
    assert not (tmp_path / "out").exists()


def test_status_on_an_edited_journal_exits_1_and_says_so(tmp_path: Path):
    path = _journal(tmp_path / "week.jsonl")
    _tamper("edited", path)
    done = _cli(tmp_path, "status", "--journal", str(path))
    said = " ".join(done.stdout.split())
    assert done.returncode == 1 and "BROKEN" in said and "was edited" in said, done.stdout


def test_a_second_writer_through_a_symlink_is_refused(tmp_path: Path):
    path = _journal(tmp_path / "week.jsonl")
    link = tmp_path / "link.jsonl"
    link.symlink_to(path)
    with writer_lock(path):
        run = _cli(tmp_path, "run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--journal", str(link))
    assert run.returncode == 2 and "Another migration-wizard is writing" in " ".join(run.stderr.split()), run.stdout + run.stderr


def test_an_edit_made_while_the_session_is_open_stops_the_next_production_write(tmp_path: Path):
    from wizard.environments import Environment
    from wizard.runbook.model import Step
    from wizard.session.integrity import HistoryGuard, JournalBroken

    path = _journal(tmp_path / "week.jsonl")
    guard = HistoryGuard(path)

    class Engine:
        env = Environment(name="prod", kind="production", role="production", conninfo={})

    write = Step(id="4.2.apply", kind="migration", title="apply", target="production", params={"file": "x.sql"})
    asyncio.run(guard(write, Engine()))  # intact: passes
    _tamper("edited", path)
    with pytest.raises(JournalBroken):
        asyncio.run(guard(write, Engine()))
