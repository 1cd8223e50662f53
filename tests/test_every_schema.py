"""Every schema counts: a migration's snapshots cover every non-system schema, not only public;
and a passed migration whose file changed is checked again on resume."""

from __future__ import annotations

from pathlib import Path

from wizard.session import AnswersDialogue
from wizard.engine import Engine
from wizard.journal import Journal
from wizard.runbook.model import Day, Runbook, Step, Task


def _runbook(path: Path, *steps: Step) -> Runbook:
    task = Task("2.1", "Schema task", 5, "", tuple(steps), "tuesday")
    return Runbook("schemas", str(path), {"core_tables": ["moves", "stripe.customer_0"]}, (Day("tuesday", "T", "", (task,)),))


def _engine(env, tmp_path: Path, runbook: Runbook) -> Engine:
    return Engine(runbook, env, Journal(tmp_path / "j.jsonl"), ask=AnswersDialogue({}).ask)


def _stripe(n: int) -> str:
    return "CREATE SCHEMA IF NOT EXISTS stripe;\n" + "".join(
        f"CREATE TABLE stripe.customer_{i} (id int primary key);\n" for i in range(n))


async def test_tables_in_another_schema_are_recorded_as_added(fresh_env, tmp_path):
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "add_stripe.sql").write_text(_stripe(25))
    # A relative file param resolves from the runbook's folder, whatever the working directory.
    step = Step("2.1.apply", "migration", "stripe", "staging", {"file": "sql/add_stripe.sql"})
    result = (await _engine(fresh_env, tmp_path, _runbook(tmp_path / "book.toml", step)).run_day("tuesday")).results[0]
    assert result.ok, result.error
    data = result.data
    assert data["changed"] is True
    assert len(data["tables_added"]) == 25 and "stripe.customer_0" in data["tables_added"]
    assert data["before"]["table_count"] == data["after"]["table_count"] == 52  # public's count, as before
    assert "stripe" not in data["before"]["schema_counts"] and data["after"]["schema_counts"]["stripe"] == 25
    assert "public.moves" in data["after"]["all_tables"] and "stripe.customer_24" in data["after"]["all_tables"]
    assert not any(t.startswith(("pg_", "information_schema")) for t in data["after"]["all_tables"])
    assert data["after"]["core_counts"] == {"moves": data["after"]["core_counts"]["moves"], "stripe.customer_0": 0}

    drop = tmp_path / "sql" / "drop_stripe.sql"
    drop.write_text("DROP TABLE stripe.customer_3;\n")
    step2 = Step("2.1.drop", "migration", "drop", "staging", {"file": "{runbook_dir}/sql/drop_stripe.sql"})
    result2 = (await _engine(fresh_env, tmp_path / "x", _runbook(tmp_path / "book.toml", step2)).run_day("tuesday")).results[0]
    assert result2.data["tables_removed"] == ["stripe.customer_3"] and result2.data["planned_drops"] == ["stripe.customer_3"]


async def test_resume_rechecks_a_migration_whose_file_changed(fresh_env, tmp_path):
    sql = tmp_path / "m.sql"
    sql.write_text("CREATE TABLE IF NOT EXISTS public.zz_a (id int);\n")
    first = Step("2.1.apply", "migration", "a", "staging", {"file": str(sql)})
    then = Step("2.1.check", "query", "fails", "staging", {"sql": "select 1/0"})
    book = _runbook(tmp_path / "book.toml", first, then)
    journal = Journal(tmp_path / "j.jsonl")
    engine = Engine(book, fresh_env, journal, ask=AnswersDialogue({}).ask)
    outcome = await engine.run_day("tuesday")
    assert outcome.stopped_at == "2.1.check"
    assert journal.fold.file_changed("2.1.apply", fresh_env.name) is None

    sql.write_text("CREATE TABLE IF NOT EXISTS public.zz_b (id int);\n")
    assert "changed since it passed" in journal.fold.file_changed("2.1.apply", fresh_env.name)
    again = await Engine(book, fresh_env, journal, ask=AnswersDialogue({}).ask).run_day("tuesday")
    assert "2.1.apply" not in again.skipped_as_done
    assert again.results[0].step_id == "2.1.apply" and again.results[0].data["tables_added"] == ["zz_b"]
    notes = [e for e in journal.events if e.get("type") == "note" and e.get("step") == "2.1.apply"]
    assert notes and "re-checked" in notes[0]["text"]
