"""Backups, the archive a destructive migration leaves, and bringing tables back: real PostgreSQL."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import psycopg
import pytest

from wizard.engine import Engine
from wizard.journal import Journal
from wizard.paths import sql_dir
from wizard.runbook.model import Day, Runbook, Step, Task
from wizard.session import AnswersDialogue

MIGRATIONS = sql_dir() / "migrations"
FINGERPRINT = "select count(*), sum(hashtextextended(t::text, 0)) from {} t"


def _runbook(*steps: Step) -> Runbook:
    task = Task("2.2", "Test task", 5, "Instructions", tuple(steps), "tuesday")
    return Runbook("test", "test.toml", {"core_tables": ["moves"]}, (Day("tuesday", "Test", "", (task,)),))


def _fingerprint(env, table: str) -> tuple:
    with psycopg.connect(**env.conninfo) as conn:
        return conn.execute(FINGERPRINT.format(table)).fetchone()


def _tables(env) -> int:
    with psycopg.connect(**env.conninfo) as conn:
        return conn.execute("select count(*) from information_schema.tables where table_schema='public' "
                            "and table_type='BASE TABLE'").fetchone()[0]


async def _run(env, tmp_path: Path, *steps: Step):
    engine = Engine(_runbook(*steps), env, Journal(tmp_path / "j.jsonl"), ask=AnswersDialogue({}).ask)
    outcome = await engine.run_day("tuesday", restart=True)
    return outcome, engine


async def test_012_is_archived_and_one_table_comes_back_identical(fresh_env, tmp_path):
    before = _fingerprint(fresh_env, "quests")
    fk_before = _fingerprint(fresh_env, "moves")
    apply = Step("2.2.a012", "migration", "012", "staging", {"file": str(MIGRATIONS / "012_remove_unused_features.sql")})
    outcome, _ = await _run(fresh_env, tmp_path, apply)
    assert outcome.ok, outcome.results[0].error
    archive = outcome.results[0].data["archive"]
    folder = Path(archive["folder"])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert len(archive["tables"]) == 9 and all(stat.S_IMODE((folder / t["file"]).stat().st_mode) == 0o600
                                               for t in archive["tables"])
    quests = next(t for t in archive["tables"] if t["table"] == "quests")
    assert quests["rows"] == before[0] and len(quests["sha256"]) == 64
    # the archive's print is the migration's own before-print of the table it drops
    assert quests["fingerprint"] == outcome.results[0].data["fingerprints_before"]["public.quests"]
    assert [fk["table"] for fk in archive["incoming_foreign_keys"]] == ["moves"]  # what CASCADE removes silently
    assert _tables(fresh_env) == 43

    restore = Step("rollback.restore", "restore", "restore quests", "any",
                   {"source": str(folder), "tables": ["public.quests"], "sha256": archive["manifest_sha256"]})
    outcome, _ = await _run(fresh_env, tmp_path, restore)
    result = outcome.results[0]
    assert outcome.ok, result.error
    assert _fingerprint(fresh_env, "quests") == before
    assert result.data["restored"] == ["public.quests"] and result.data["table_count"] == 44
    proved = result.data["fingerprints"]["public.quests"]
    assert (proved["rows"], proved["hash"]) == (quests["rows"], quests["fingerprint"]["hash"])
    assert result.data["foreign_keys_restored"] == ["public.moves." + archive["incoming_foreign_keys"][0]["name"]]
    assert _fingerprint(fresh_env, "moves") == fk_before

    again, _ = await _run(fresh_env, tmp_path, restore)  # never over a table that exists
    assert not again.ok and "exists now" in again.results[0].error

    # quest_moves references quests (back now) and moves: alone it comes back too
    lone = Step("rollback.restore", "restore", "restore quest_milestones", "any",
                {"source": str(folder), "tables": ["public.quest_milestones"]})
    outcome, _ = await _run(fresh_env, tmp_path, lone)
    assert outcome.ok, outcome.results[0].error


async def test_a_restore_that_does_not_bring_back_the_archived_content_fails(fresh_env, tmp_path):
    apply = Step("2.2.a012", "migration", "012", "staging", {"file": str(MIGRATIONS / "012_remove_unused_features.sql")})
    outcome, _ = await _run(fresh_env, tmp_path, apply)
    archive = outcome.results[0].data["archive"]
    manifest = Path(archive["folder"]) / "manifest.json"
    data = json.loads(manifest.read_text())
    quests = next(t for t in data["tables"] if t["table"] == "quests")
    quests["fingerprint"]["hash"] = "0" * 16  # as if the dump held other rows than were archived
    manifest.chmod(0o600)
    manifest.write_text(json.dumps(data))
    restore = Step("rollback.restore", "restore", "restore quests", "any",
                   {"source": archive["folder"], "tables": ["public.quests"]})
    outcome, _ = await _run(fresh_env, tmp_path, restore)
    error = outcome.results[0].error
    assert not outcome.ok and error.startswith("restored, but not as archived: public.quests (3 rows, fingerprint ")
    assert "archived: 3 rows, 000000000000" in error


async def test_a_changed_archive_is_refused(fresh_env, tmp_path):
    apply = Step("2.2.a012", "migration", "012", "staging", {"file": str(MIGRATIONS / "012_remove_unused_features.sql")})
    outcome, _ = await _run(fresh_env, tmp_path, apply)
    archive = outcome.results[0].data["archive"]
    dump = Path(archive["folder"]) / next(t["file"] for t in archive["tables"] if t["table"] == "quests")
    dump.chmod(0o600)
    with dump.open("ab") as fh:
        fh.write(b"x")
    restore = Step("rollback.restore", "restore", "restore quests", "any",
                   {"source": archive["folder"], "tables": ["public.quests"], "sha256": archive["manifest_sha256"]})
    outcome, _ = await _run(fresh_env, tmp_path, restore)
    assert not outcome.ok and "SHA-256 differs" in outcome.results[0].error
    assert _tables(fresh_env) == 43


async def test_backup_step_and_whole_database_restore(fresh_env, tmp_path):
    backup = Step("2.2.backup", "backup", "backup", "any", {"folder": str(tmp_path / "bk")})
    outcome, engine = await _run(fresh_env, tmp_path, backup)
    data = outcome.results[0].data
    assert outcome.ok, outcome.results[0].error
    dump = Path(data["path"])
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600 and data["size"] == dump.stat().st_size
    assert data["pg_dump_version"].startswith("16") and data["server_version"].startswith("16")
    from wizard.guards import latest_backup

    when, how = latest_backup(engine.state(), fresh_env.name)
    assert "taken by the wizard in step 2.2.backup" in how
    assert latest_backup(engine.state(), "elsewhere") is None  # a dump of another server proves nothing

    before = _fingerprint(fresh_env, "quests")
    apply = Step("2.2.a012", "migration", "012", "staging", {"file": str(MIGRATIONS / "012_remove_unused_features.sql")})
    assert (await _run(fresh_env, tmp_path, apply))[0].ok
    whole = Step("rollback.database", "restore", "restore the backup", "any",
                 {"source": str(dump), "mode": "database", "sha256": data["sha256"]})
    outcome, _ = await _run(fresh_env, tmp_path, whole)
    assert outcome.ok, outcome.results[0].error
    assert outcome.results[0].data["table_count"] == 52
    assert _fingerprint(fresh_env, "quests") == before


def test_a_server_newer_than_every_pg_dump_is_refused_with_what_to_install():
    from wizard import pgclient
    from wizard.errors import WizardError

    with pytest.raises(WizardError) as caught:
        pgclient.client_for("pg_dump", 990001)
    assert "PostgreSQL 99.1" in caught.value.what and "16.2" in caught.value.what
    assert "postgresql-client-99" in caught.value.fix


def test_a_rollback_option_may_name_sql_and_only_a_sql_file(tmp_path):
    from wizard.runbook import load_runbook
    from wizard.errors import RunbookError

    shipped = (Path(__file__).resolve().parents[1] / "wizard" / "runbook" / "week1.toml").read_text()
    marker = 'estimate = "2-3 hours"\n'
    good = tmp_path / "good.toml"
    good.write_text(shipped.replace(marker, marker + 'sql_file = "{migrations}/011_rollback.sql"\n'))
    book = load_runbook(good)
    assert [r.sql_file for r in book.rollback] == ["", "{migrations}/011_rollback.sql", ""]
    bad = tmp_path / "bad.toml"
    bad.write_text(shipped.replace(marker, marker + 'sql_file = "rollback.txt"\n'))
    with pytest.raises(RunbookError) as caught:
        load_runbook(bad)
    assert "rollback[1].sql_file" in caught.value.what
