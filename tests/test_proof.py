"""Know before, prove after: the preview's blast radius against what 012 really removes, the
dry run's catalogue difference and timings, and the zero-data-loss fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from wizard import catalog
from wizard.catalog import read_only
from wizard.engine import Engine
from wizard.fingerprint import fingerprints
from wizard.journal import Journal
from wizard.paths import sql_dir
from wizard.runbook.model import Day, Runbook, Step, Task
from wizard.session import AnswersDialogue
from wizard.session.inspect import preview_sql

MIGRATIONS = sql_dir() / "migrations"
M011, M012 = MIGRATIONS / "011_fix_migration_conflicts.sql", MIGRATIONS / "012_remove_unused_features.sql"


def _engine(env, tmp_path: Path, *steps: Step) -> Engine:
    task = Task("2.2", "Test task", 5, "Instructions", tuple(steps), "tuesday")
    book = Runbook("test", "test.toml", {"core_tables": ["moves"]}, (Day("tuesday", "Test", "", (task,)),))
    return Engine(book, env, Journal(tmp_path / "j.jsonl"), ask=AnswersDialogue({}).ask)


async def _look(env, work):
    conn = await psycopg.AsyncConnection.connect(autocommit=True, **env.conninfo)
    try:
        async with read_only(conn):
            return await work(conn)
    finally:
        await conn.close()


async def test_preview_012_predicts_exactly_what_the_cascade_removes(fresh_env, tmp_path):
    preview = await _look(fresh_env, lambda conn: preview_sql(conn, M012))
    drops = {d["table"]: d for d in preview["drops"]}
    assert len(drops) == 9 and all(t.startswith("public.") for t in drops)


    for table, drop in drops.items():
        with psycopg.connect(**fresh_env.conninfo) as conn:
            exact = conn.execute(f"select count(*) from {table}").fetchone()[0]
        assert drop["rows"] == exact and drop["bytes"] > 0, table
    assert any(d["name"] == "moves_quest_id_fkey on public.moves" and d["beyond"]
               for d in drops["public.quests"]["dependents"])
    predicted = {(d["type"], d["name"]) for drop in drops.values() for d in drop["dependents"]}
    assert preview["lint"] and all(f["statement"] for f in preview["lint"])
    assert {f["rule"] for f in preview["lint"]} >= {"ban-drop-table"}
    assert [s["kind"] for s in preview["statements"]].count("drop table") == 9

    before = await _look(fresh_env, catalog.snapshot)
    ran = await _engine(fresh_env, tmp_path, Step("2.4.a", "migration", "012", "staging", {"file": str(M012)})).run_day("tuesday")
    assert ran.ok, ran.results[0].error
    after = await _look(fresh_env, catalog.snapshot)
    removed = {(t, i) for (t, i) in set(before) - set(after)
               if t not in ("table", "column", "type")}  # the tables themselves, their columns and row types
    assert predicted == removed
    json.dumps(preview)  # the --json shape is plain data


async def test_dry_run_shows_catalog_diff_and_statement_times(fresh_env, tmp_path):
    step = Step("4.3.dry", "migration", "dry", "staging", {"file": str(M012), "mode": "dry_run"})
    result = (await _engine(fresh_env, tmp_path, step).run_day("tuesday")).results[0]
    assert result.ok and result.data["rolled_back"]
    diff = result.data["catalog_diff"]
    assert sorted(diff["removed"]["table"]) == sorted(f"public.{t}" for t in (
        "quests", "quest_moves", "quest_milestones", "capability_nodes", "maneuver_prerequisites",
        "quick_wins", "cohort_relations", "move_decisions", "notifications"))
    assert "moves_quest_id_fkey on public.moves" in diff["removed"]["constraint"]
    assert "column" not in diff["removed"], "columns of removed tables are said by the table"
    times = result.data["statement_times"]
    assert len(times) == 11 and all(t["seconds"] >= 0 for t in times)
    assert result.data["data_loss"]["ok"]


async def test_surviving_tables_keep_their_fingerprints_through_011_and_012(fresh_env, tmp_path):
    untouched = await _look(fresh_env, fingerprints)
    steps = (Step("2.2.a", "migration", "011", "staging", {"file": str(M011)}),
             Step("2.4.a", "migration", "012", "staging", {"file": str(M012)}))
    outcome = await _engine(fresh_env, tmp_path, *steps).run_day("tuesday")
    assert outcome.ok, [r.error for r in outcome.results]
    a011, a012 = (r.data for r in outcome.results)
    assert a011["data_loss"]["ok"] and a012["data_loss"]["ok"]
    assert a011["data_loss"]["excluded_columns"] == {"public.agent_trust_scores": ["workspace_id"]}  # its backfill
    assert a011["data_loss"]["not_compared"] == {
        "public.agent_recommendations": "the file rebuilds it (drops it and creates it again)"}
    assert set(a012["data_loss"]["not_compared"].values()) == {"the file drops it"}
    assert a012["data_loss"]["tables_checked"] == len(a012["fingerprints_before"]) - 9  # every schema, auth too
    # measured independently, outside the wizard: every table neither dropped nor rebuilt nor
    # given a column is byte-for-byte the same content
    final = await _look(fresh_env, fingerprints)
    reshaped = {"public.agent_recommendations", "public.agent_trust_scores", "public.competitors"}
    dropped = set(a012["catalog_diff"]["removed"]["table"])
    for table, before in untouched.items():
        if table not in dropped | reshaped:
            assert final[table] == before, table


async def test_a_row_deleted_behind_the_wizards_back_is_named(fresh_env, tmp_path):
    hidden = tmp_path / "013_hidden_delete.sql"
    hidden.write_text("ALTER TABLE cohorts ADD COLUMN note text;\n"
                      "DO $$ BEGIN EXECUTE 'DELETE FROM public.' || 'moves WHERE id = "
                      "(SELECT id FROM public.moves ORDER BY id LIMIT 1)'; END $$;\n")
    step = Step("2.4.h", "migration", "hidden", "staging", {"file": str(hidden)})
    result = (await _engine(fresh_env, tmp_path, step).run_day("tuesday")).results[0]
    assert result.status == "error" and "public.moves" in result.error and "rows removed" in result.error
    # the delete cascades (ON DELETE CASCADE) into assets: named too
    assert "public.moves" in result.data["data_loss"]["tables_changed"]
    with psycopg.connect(**fresh_env.conninfo) as conn:  # rolled back: the row is still there
        assert conn.execute("select count(*) from moves").fetchone()[0] == 15


async def test_a_row_deleted_between_two_migrations_is_named(fresh_env, tmp_path):
    engine = _engine(fresh_env, tmp_path, Step("2.2.a", "migration", "011", "staging", {"file": str(M011)}),
                     Step("2.4.a", "migration", "012", "staging", {"file": str(M012)}))
    task = engine.runbook.days[0].tasks[0]
    first = await engine.run_step(task, task.steps[0])
    assert first.ok
    with psycopg.connect(**fresh_env.conninfo, autocommit=True) as conn:
        conn.execute("delete from moves where id = (select id from moves order by id limit 1)")
    second = await engine.run_step(task, task.steps[1])
    assert second.status == "error" and "public.moves" in second.error
    assert "public.moves" in second.data["data_loss"]["changed_since_last_migration"]
    await engine.close()


def test_cli_preview_json_and_fingerprint(clusters, capsys):
    from wizard.cli import main
    from wizard.rehearsal import clusters as sandbox

    assert main(["preview", str(M012), "--env", "sandbox-staging", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"drops", "lint", "statements"} and len(data["drops"]) == 9
    with psycopg.connect(**sandbox.conninfo("sandbox-staging")) as conn:
        for drop in data["drops"]:  # other tests may have applied 012 here: absent tables say so
            present = conn.execute("select to_regclass(%s) is not null", (drop["table"],)).fetchone()[0]
            assert drop["exists"] == present
            if present:
                assert drop["rows"] == conn.execute(f"select count(*) from {drop['table']}").fetchone()[0]
                assert {"type", "name", "table", "beyond"} <= set(drop["dependents"][0])
    assert main(["fingerprint", "--env", "sandbox-staging", "--table", "moves", "--json"]) == 0
    prints = json.loads(capsys.readouterr().out)
    assert list(prints["tables"]) == ["public.moves"] and prints["elapsed_s"] >= 0


def test_cli_bad_input_is_one_message_and_exit_2(clusters, capsys, tmp_path):
    from wizard.cli import main

    assert main(["preview", str(tmp_path / "nope.sql"), "--env", "sandbox-staging"]) == 2
    bad = tmp_path / "bad.sql"
    bad.write_text("DROP TABLE (;\n")
    assert main(["preview", str(bad), "--env", "sandbox-staging"]) == 2
    assert main(["fingerprint", "--env", "sandbox-staging", "--table", "no_such_table"]) == 2
    assert main(["fingerprint", "--env", "no-such-env"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no_such_table" in err


async def test_blast_radius_reaches_views_policies_and_sequences(fresh_env, tmp_path):
    with psycopg.connect(**fresh_env.conninfo, autocommit=True) as conn:
        conn.execute("create view public.open_quests as select * from public.quests")
        conn.execute("create policy moves_in_quests on public.moves using (quest_id in (select id from public.quests))")
        conn.execute("create sequence public.quest_seq owned by public.quests.id")
        conn.execute("create function public.quest_total() returns bigint language sql as 'select 1' ")
        conn.execute("create function public.quest_count() returns bigint language plpgsql as "
                     "$$ begin return (select count(*) from quests); end $$")
    preview = await _look(fresh_env, lambda conn: preview_sql(conn, M012))
    quests = next(d for d in preview["drops"] if d["table"] == "public.quests")
    found = {(d["type"], d["name"], d["beyond"]) for d in quests["dependents"]}
    assert ("view", "public.open_quests", True) in found
    assert ("policy", "moves_in_quests on public.moves", True) in found
    assert ("sequence", "public.quest_seq", False) in found
    assert quests["breaks"] == ["quest_count()"]
    predicted = {(d["type"], d["name"]) for drop in preview["drops"] for d in drop["dependents"]}
    before = await _look(fresh_env, catalog.snapshot)
    ran = await _engine(fresh_env, tmp_path, Step("2.4.a", "migration", "012", "staging", {"file": str(M012)})).run_day("tuesday")
    assert ran.ok, ran.results[0].error
    after = await _look(fresh_env, catalog.snapshot)
    assert predicted == {(t, i) for (t, i) in set(before) - set(after) if t not in ("table", "column", "type")}


async def test_fingerprints_do_not_depend_on_session_settings(fresh_env):
    async def with_settings(conn):
        await conn.execute("set local timezone = 'Asia/Kolkata'")
        await conn.execute("set local datestyle = 'SQL, DMY'")
        prints = await fingerprints(conn)
        cur = await conn.execute("select current_setting('TimeZone')")
        assert (await cur.fetchone())[0] == "Asia/Kolkata"  # the session's own settings are back
        return prints

    assert await _look(fresh_env, with_settings) == await _look(fresh_env, fingerprints)


async def test_types_without_a_hash_fall_back_to_the_rows_text(fresh_env):
    with psycopg.connect(**fresh_env.conninfo, autocommit=True) as conn:
        conn.execute("create table public.raw_events (id int, body json, at point)")
        conn.execute("""insert into public.raw_events values (1, '{"a": 1}', '(1,2)'), (2, '[]', '(0,0)')""")
    first = (await _look(fresh_env, lambda c: fingerprints(c, ["public.raw_events"])))["public.raw_events"]
    with psycopg.connect(**fresh_env.conninfo, autocommit=True) as conn:
        conn.execute("""update public.raw_events set body = '{"a": 2}' where id = 1""")
    second = (await _look(fresh_env, lambda c: fingerprints(c, ["public.raw_events"])))["public.raw_events"]
    assert first.rows == second.rows == 2 and first.hash != second.hash


async def test_values_swapped_between_two_rows_change_the_fingerprint(fresh_env):
    """hash_record_extended is linear in its columns: only the per-row mix (SCHEME 2) sees a swap."""
    with psycopg.connect(**fresh_env.conninfo, autocommit=True) as conn:
        conn.execute("create table public.owners (id int primary key, owner text)")
        conn.execute("insert into public.owners values (1, 'ana'), (2, 'ben')")
    first = (await _look(fresh_env, lambda c: fingerprints(c, ["public.owners"])))["public.owners"]
    with psycopg.connect(**fresh_env.conninfo, autocommit=True) as conn:
        conn.execute("update public.owners set owner = case id when 1 then 'ben' else 'ana' end")
    second = (await _look(fresh_env, lambda c: fingerprints(c, ["public.owners"])))["public.owners"]
    assert first.hash != second.hash
