"""Every database step kind, against a fresh copy of the real pre-clean-up sandbox database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from wizard.session import AnswersDialogue
from wizard.engine import Engine
from wizard.journal import Journal
from wizard.paths import sql_dir
from wizard.runbook.model import Day, Expectation, Runbook, Step, Task

MIGRATIONS = sql_dir() / "migrations"


def _runbook(*steps: Step, facts: dict | None = None) -> Runbook:
    task = Task("2.2", "Test task", 5, "Instructions", tuple(steps), "tuesday")
    return Runbook("test", "test.toml", facts or {"core_tables": ["moves", "cohorts", "campaigns", "assets"]},
                   (Day("tuesday", "Test", "", (task,)),))


def _engine(env, tmp_path: Path, runbook: Runbook, answers: dict | None = None) -> Engine:
    return Engine(runbook, env, Journal(tmp_path / "j.jsonl"), ask=AnswersDialogue(answers or {}).ask)


def _count_tables(env) -> int:
    with psycopg.connect(**env.conninfo) as conn:
        return conn.execute("select count(*) from information_schema.tables where table_schema='public' "
                            "and table_type='BASE TABLE'").fetchone()[0]


async def test_query_step_returns_typed_table(fresh_env, tmp_path):
    step = Step("2.2.q", "query", "core counts", "staging",
                {"sql": "select 'moves' as table_name, count(*) as row_count from moves"},
                (Expectation("rows[0].row_count == 15", "15 moves"),))
    outcome = await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")
    result = outcome.results[0]
    assert outcome.ok, result
    assert result.data["columns"] == ["table_name", "row_count"]
    assert result.data["column_types"] == ["text", "int8"]
    assert result.data["row_count"] == 1 and not result.data["truncated"]


async def test_query_truncation_is_honest(fresh_env, tmp_path):
    step = Step("2.2.q", "query", "many rows", "staging", {"sql": "select g from generate_series(1, 5000) g", "max_rows": 100})
    result = (await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
    assert result.data["shown_rows"] == 100 and result.data["row_count"] == 5000 and result.data["truncated"]


async def test_verification_file_runs_every_query(fresh_env, tmp_path):
    step = Step("2.2.v", "query", "all checks", "staging", {"sql_file": str(sql_dir() / "VERIFICATION_QUERIES.sql")})
    result = (await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
    assert result.ok, result.error
    assert result.data["query_count"] >= 5


def _count(env, table: str) -> int:
    with psycopg.connect(**env.conninfo) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


async def test_a_write_in_a_verification_file_fails_and_changes_nothing(fresh_env, tmp_path):
    """FINAL_VERIFICATION.sql with a DELETE ... RETURNING added: the query step runs READ ONLY."""
    final = tmp_path / "FINAL_VERIFICATION.sql"
    final.write_text((sql_dir() / "FINAL_VERIFICATION.sql").read_text()
                     + "\n-- @query tidy: an edit that slipped in\nDELETE FROM assets RETURNING id;\n")
    before = _count(fresh_env, "assets")
    step = Step("2.2.v", "query", "final", "staging", {"sql_file": str(final)})
    result = (await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
    assert not result.ok
    assert result.error.startswith("this step only reads; the query tried to write (query tidy): 25006: "
                                   "cannot execute DELETE in a read-only transaction")
    assert result.data["failed_query"] == "tidy" and result.data["queries"]  # the reads before it are kept
    assert _count(fresh_env, "assets") == before > 0


async def test_query_timeouts_are_the_steps_own(fresh_env, tmp_path):
    slow = Step("2.2.q", "query", "slow", "staging", {"sql": "select pg_sleep(5)", "statement_timeout": "200ms"})
    result = (await _engine(fresh_env, tmp_path, _runbook(slow)).run_day("tuesday")).results[0]
    assert not result.ok and result.error.startswith("57014: canceling statement due to statement timeout")
    with psycopg.connect(**fresh_env.conninfo) as holder:  # a writer holds moves; the reader waits at most 300 ms
        holder.execute("lock table moves in access exclusive mode")
        wait = Step("2.2.q", "query", "waits", "staging", {"sql": "select count(*) from moves", "lock_timeout": "300ms"})
        result = (await _engine(fresh_env, tmp_path, _runbook(wait)).run_day("tuesday")).results[0]
    assert not result.ok and result.error.startswith("55P03: canceling statement due to lock timeout")


async def test_migrations_apply_measure_and_are_idempotent(fresh_env, tmp_path):
    steps = (
        Step("2.2.plan", "file_check", "plan", "local", {"path": str(MIGRATIONS / "012_remove_unused_features.sql")}, (), "m012_plan"),
        Step("2.2.a011", "migration", "011", "staging", {"file": str(MIGRATIONS / "011_fix_migration_conflicts.sql")}, (), "m011_apply"),
        Step("2.2.a012", "migration", "012", "staging", {"file": str(MIGRATIONS / "012_remove_unused_features.sql")},
             (Expectation("after.table_count == len(set(before.tables) - set(m012_plan.dropped_tables))", "derived count"),
              Expectation("after.core_counts == before.core_counts", "core rows kept")), "m012_apply"),
    )
    engine = _engine(fresh_env, tmp_path, _runbook(*steps))
    first = await engine.run_day("tuesday")
    assert first.ok, [r.error or r.checks for r in first.results]
    plan, a011, a012 = (r.data for r in first.results)
    assert len(plan["dropped_tables"]) == 9
    assert a012["before"]["table_count"] == 52 and a012["after"]["table_count"] == 43
    assert sorted(a012["tables_removed"]) == sorted(plan["dropped_tables"])
    assert a012["after"]["core_counts"] == {"moves": 15, "cohorts": 8, "campaigns": 5, "assets": 42}
    assert a011["changed"] and a011["schema_changed"]
    second = await engine.run_day("tuesday")
    assert second.ok
    assert not any(r.data.get("changed") for r in second.results if r.kind == "migration"), "second run changed something"


async def test_core_counts_are_the_real_counts_before_and_after(fresh_env, tmp_path):
    """The step takes its core counts from the proof's fingerprints (the same count(*) in the same
    transaction): a table the file inserts into, one it updates, one it leaves alone (its count is
    the proved-untouched print's), another schema's and a missing one all come out as count(*) says."""
    file = tmp_path / "014_counts.sql"
    file.write_text("INSERT INTO cohorts (workspace_id, name) SELECT workspace_id, 'extra' FROM cohorts LIMIT 3;\n"
                    "ALTER TABLE campaigns ADD COLUMN note text;\n"
                    "UPDATE campaigns SET note = 'n';\n")
    core = ["moves", "cohorts", "campaigns", "auth.users", "no_such_table"]

    def counts() -> dict[str, int]:
        with psycopg.connect(**fresh_env.conninfo) as conn:
            return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in core[:-1]}

    before = counts()
    step = Step("2.2.c", "migration", "counts", "staging", {"file": str(file)})
    result = (await _engine(fresh_env, tmp_path, _runbook(step, facts={"core_tables": core})).run_day("tuesday")).results[0]
    assert result.ok, result.error
    assert result.data["before"]["core_counts"] == before
    assert result.data["after"]["core_counts"] == counts() == {**before, "cohorts": before["cohorts"] + 3}
    assert result.data["data_loss"]["proved_untouched"] >= 2  # moves and auth.users among them
    assert result.data["changed"]


async def test_dry_run_rolls_back(fresh_env, tmp_path):
    step = Step("2.2.dry", "migration", "dry", "staging",
                {"file": str(MIGRATIONS / "012_remove_unused_features.sql"), "mode": "dry_run"})
    result = (await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
    assert result.ok and result.data["rolled_back"]
    assert result.data["after"]["table_count"] == 43
    assert _count_tables(fresh_env) == 52


async def test_a_held_table_makes_a_migration_give_up_within_the_environments_lock_wait(fresh_env, tmp_path):
    import dataclasses
    import time

    env = dataclasses.replace(fresh_env, lock_wait="300ms")
    step = Step("2.2.m", "migration", "012", "staging", {"file": str(MIGRATIONS / "012_remove_unused_features.sql")})
    with psycopg.connect(**env.conninfo, application_name="holder") as holder:
        holder.execute("select count(*) from quick_wins").fetchone()  # ACCESS SHARE, transaction open
        t0 = time.monotonic()
        result = (await _engine(env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
        took = time.monotonic() - t0
        assert not result.ok and result.error.startswith("lock wait gave up: 012_remove_unused_features.sql needs")
        assert f"quick_wins is held (AccessShareLock) by pid {holder.info.backend_pid}" in result.error
        assert result.data["lock_wait"] == "300ms" and result.data["rolled_back"] and took < 2
        assert [b["table_name"] for b in result.data["lock_blockers"]] == ["quick_wins"]
    assert _count_tables(env) == 52
    step = Step("2.2.m", "migration", "012", "staging", {**step.params, "lock_wait": "1s"})  # the step's own wins
    result = (await _engine(env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
    assert result.ok and result.data["lock_wait"] == "1s" and _count_tables(env) == 43
    locked = result.data["locked_up_front"]
    # the dropped tables, then the tables a foreign key joins them to (moves.quest_id -> quests)
    assert "cohort_relations" in locked and "moves" in locked and locked.index("cohort_relations") < locked.index("moves")


async def test_sql_error_halfway_leaves_database_as_before(fresh_env, tmp_path):
    broken = tmp_path / "broken.sql"
    broken.write_text((MIGRATIONS / "012_remove_unused_features.sql").read_text()
                      + "\nALTER TABLE moves ADD COLUMN oops int;\nSELECT 1/0;\n")
    step = Step("2.4.apply", "migration", "broken 012", "staging", {"file": str(broken)})
    runbook = _runbook(step)
    outcome = await _engine(fresh_env, tmp_path, runbook).run_day("tuesday")
    result = outcome.results[0]
    assert result.status == "error" and "22012" in result.error  # division_by_zero
    assert result.data["rolled_back"]
    assert _count_tables(fresh_env) == 52
    journal_text = (tmp_path / "j.jsonl").read_text()
    assert "division by zero" in journal_text


async def test_transaction_control_in_a_file_is_refused(fresh_env, tmp_path):
    bad = tmp_path / "tx.sql"
    bad.write_text("BEGIN;\nDROP TABLE IF EXISTS quests CASCADE;\nCOMMIT;\n")
    step = Step("2.4.apply", "migration", "tx", "staging", {"file": str(bad)})
    result = (await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
    assert result.status == "error" and "BEGIN/COMMIT" in result.error
    assert _count_tables(fresh_env) == 52


async def test_missing_migration_file(fresh_env, tmp_path):
    step = Step("2.4.apply", "migration", "missing", "staging", {"file": str(tmp_path / "nope.sql")})
    result = (await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")).results[0]
    assert result.status == "error" and "not found" in result.error


async def test_cancel_sends_server_side_cancel(fresh_env, tmp_path):
    step = Step("2.2.sleep", "query", "sleep", "staging", {"sql": "select pg_sleep(30)"})
    engine = _engine(fresh_env, tmp_path, _runbook(step))
    task = asyncio.ensure_future(engine.run_day("tuesday"))
    await asyncio.sleep(0.5)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    engine.cancel()
    outcome = await asyncio.wait_for(task, 5)
    assert outcome.results[0].status == "cancelled"
    assert loop.time() - t0 < 2


async def test_failed_expectation_gets_runbook_advice(fresh_env, tmp_path):
    from wizard.runbook.model import Trouble

    step = Step("2.5.count", "query", "count", "staging",
                {"sql": "select count(*) from information_schema.tables where table_schema='public' and table_type='BASE TABLE'"},
                (Expectation("scalar == 43", "table count 43"),))
    runbook = _runbook(step)
    runbook = Runbook(runbook.title, runbook.path, runbook.facts, runbook.days,
                      (Trouble(r"52 == 43", "Query returns 52 tables instead of 43", "Migration 012 didn't run: rerun migration 012"),))
    result = (await _engine(fresh_env, tmp_path, runbook).run_day("tuesday")).results[0]
    assert result.status == "failed"
    assert result.advice and "rerun migration 012" in result.advice[0]["advice"]


async def test_wrong_role_is_refused_before_anything_runs(fresh_env, tmp_path):
    from wizard.errors import EnvironmentRefused

    step = Step("4.4.apply", "migration", "prod", "production", {"file": str(MIGRATIONS / "011_fix_migration_conflicts.sql")})
    with pytest.raises(EnvironmentRefused):
        await _engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday")
    assert _count_tables(fresh_env) == 52


async def test_unreachable_server_is_one_clear_message(tmp_path):
    from wizard.environments import Environment
    from wizard.errors import ConnectionFailed

    env = Environment("staging", "staging", "staging", {"host": str(tmp_path), "port": 5432, "dbname": "postgres", "user": "postgres"})
    step = Step("2.2.q", "query", "q", "staging", {"sql": "select 1"})
    with pytest.raises(ConnectionFailed) as err:
        await _engine(env, tmp_path, _runbook(step)).run_day("tuesday")
    assert "Cannot connect to staging" in err.value.what and err.value.fix


async def test_wrong_password_is_one_clear_message(clusters, tmp_path):
    """A real scram-sha-256 check: the sandbox trusts local sockets, except for this one role."""
    from wizard.rehearsal import clusters as sandbox
    from wizard.environments import Environment
    from wizard.errors import ConnectionFailed

    hba = sandbox.cluster_dir("sandbox-staging") / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text("local all pw_probe scram-sha-256\n" + original)
    info = sandbox.conninfo("sandbox-staging")
    with psycopg.connect(**info, autocommit=True) as conn:
        conn.execute("drop role if exists pw_probe")
        conn.execute("create role pw_probe login password 'right-password-3e9'")
        conn.execute("select pg_reload_conf()")
    try:
        env = Environment("staging", "staging", "staging", {**info, "user": "pw_probe"})
        step = Step("2.2.q", "query", "q", "staging", {"sql": "select 1"})
        engine = Engine(_runbook(step), env, Journal(tmp_path / "j.jsonl"), ask=AnswersDialogue({}).ask, password="wrong-password-77")
        with pytest.raises(ConnectionFailed) as err:
            await engine.run_day("tuesday")
        assert "password authentication failed" in err.value.what
        assert "wrong-password-77" not in str(err.value)
        assert "forget" in err.value.fix
        good = Engine(_runbook(step), env, Journal(tmp_path / "j2.jsonl"), ask=AnswersDialogue({}).ask, password="right-password-3e9")
        assert (await good.run_day("tuesday")).ok
        assert "right-password-3e9" not in (tmp_path / "j2.jsonl").read_text()
    finally:
        hba.write_text(original)
        with psycopg.connect(**info, autocommit=True) as conn:
            conn.execute("select pg_reload_conf()")
            conn.execute("drop role if exists pw_probe")


async def test_the_rest_of_the_database_is_fingerprinted_before_the_locks_are_taken(fresh_env, tmp_path):
    """While the step hashes the tables it does not lock, it holds no lock on the ones it does:
    here it is held up reading `moves` (another session holds it) and `quests`, which the file
    alters, is still free for everyone."""
    migration = tmp_path / "013_quests_note.sql"
    migration.write_text("ALTER TABLE public.quests ADD COLUMN note text;\n")
    step = Step("2.2.m", "migration", "013", "staging", {"file": str(migration)})
    with psycopg.connect(**fresh_env.conninfo, application_name="holder") as holder:
        holder.execute("lock table moves in access exclusive mode")
        run = asyncio.create_task(_engine(fresh_env, tmp_path, _runbook(step)).run_day("tuesday"))
        with psycopg.connect(**fresh_env.conninfo, autocommit=True) as watcher:
            waiting = None
            for _ in range(200):  # the step's backend, queued behind the holder on moves
                waiting = watcher.execute(
                    "select pid from pg_locks where relation = 'public.moves'::regclass and not granted").fetchone()
                if waiting:
                    break
                await asyncio.sleep(0.02)
            assert waiting, "the step never reached moves"
            held = watcher.execute("select mode from pg_locks where pid = %s and relation = 'public.quests'::regclass",
                                   waiting).fetchall()
            assert held == [], f"quests was locked while the rest was fingerprinted: {held}"
        holder.rollback()
    result = (await run).results[0]
    assert result.ok, result.error
    assert result.data["locked_up_front"] == ["quests"] and 0 < result.data["locks_held_s"] < 5
