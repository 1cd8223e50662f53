"""The journal appends durably, replays into state, survives a torn line and never holds a secret."""

from pathlib import Path

from wizard.journal import Journal, read_events
from wizard.redact import register_secret
from wizard.results import StepResult
from wizard.journal import replay


def _result(step: str, status: str = "passed", **data) -> dict:
    return StepResult(step, "query", status, data=data, started_at="2026-01-01T00:00:00").to_dict()


def test_replay_derives_facts_and_passes(tmp_path: Path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append("day_started", env="e", day="monday", pass_id=1)
    journal.append("step_started", env="e", task="1.6", step="1.6.count")
    journal.append("step_finished", env="e", task="1.6", step="1.6.count", save_as="baseline", result=_result("1.6.count", scalar=52))
    state = replay(Journal(tmp_path / "j.jsonl").events)
    assert state.facts["baseline"]["scalar"] == 52
    assert state.open_pass("e", "monday").passed_steps == {"1.6.count"}
    assert state.latest("1.6.count").status == "passed"


def test_step_started_without_finish_is_interrupted(tmp_path: Path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append("step_started", env="e", task="2.2", step="2.2.apply")
    assert replay(journal.events).interrupted_steps() == [("e", "2.2.apply")]


def test_torn_last_line_is_set_aside_and_appending_goes_on(tmp_path: Path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append("note", text="one")
    with path.open("ab") as fh:
        fh.write(b'{"seq": 1, "type": "no')  # a crash mid-write
    read = read_events(path)
    assert read.intact and read.torn_tail and len(read.events) == 1
    reopened = Journal(path)
    assert reopened.torn_repaired["bytes"] == len(b'{"seq": 1, "type": "no')
    reopened.append("note", text="two")
    assert read_events(path).intact and len(read_events(path).events) == 2


def test_registered_secret_never_written(tmp_path: Path):
    register_secret("canary-secret-71d2")
    journal = Journal(tmp_path / "j.jsonl")
    journal.append("note", text="connecting with password=canary-secret-71d2 to postgresql://u:canary-secret-71d2@h/db")
    raw = (tmp_path / "j.jsonl").read_bytes()
    assert b"canary-secret-71d2" not in raw
    assert read_events(tmp_path / "j.jsonl").intact


def test_a_changed_file_is_seen_at_once_and_line_endings_are_not_a_change(tmp_path: Path):
    """What the screens' Δ mark reads: a rewrite of the same size right after a look is still
    seen (a fresh file is never taken from the remembered hashes), and a CRLF migration, whose
    journaled hash is of its text with universal newlines, is the file it passed with."""
    import hashlib
    import os

    from wizard.journal.fold import file_change

    sql = tmp_path / "m.sql"
    sql.write_bytes(b"CREATE TABLE a (id int);\n")
    sha = hashlib.sha256(sql.read_bytes()).hexdigest()
    assert file_change(str(sql), sha) is None
    sql.write_bytes(b"CREATE TABLE b (id int);\n")  # same size, same second
    assert "changed since it passed" in file_change(str(sql), sha, name="m.sql")
    old = os.stat(sql).st_mtime - 60
    os.utime(sql, (old, old))  # an old file's hash is remembered: the next look is a stat
    assert file_change(str(sql), sha) == file_change(str(sql), sha)
    sql.write_bytes(b"CREATE TABLE a (id int);\n")
    os.utime(sql, (old + 1, old + 1))
    assert file_change(str(sql), sha) is None

    crlf = tmp_path / "crlf.sql"
    crlf.write_bytes(b"CREATE TABLE c (id int);\r\nSELECT 1;\r\n")
    text_sha = hashlib.sha256(b"CREATE TABLE c (id int);\nSELECT 1;\n").hexdigest()
    assert file_change(str(crlf), text_sha) is None
    crlf.unlink()
    assert file_change(str(crlf), text_sha, name="crlf.sql") == "crlf.sql is gone since it passed"
