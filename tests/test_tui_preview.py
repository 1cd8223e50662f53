"""The task screen's preview panel on a real sandbox database: a migration not yet passed shows its
statements, squawk's findings and what its drops take (rows, dependents, foreign keys from tables
that survive), read off the UI thread in a READ ONLY transaction, before anything runs."""

from __future__ import annotations

import uuid
import psycopg
import pytest

from screens.widgets.drop_preview import MigrationPreview
from tui_fixtures import passed, stable_display, write_journal
from tui_support import make_app, ready, settle, until

SIZE = (120, 40)
DROPPED_BY_012 = {"quest_milestones": 4, "quest_moves": 5, "quests": 3, "maneuver_prerequisites": 3,
                  "capability_nodes": 4, "notifications": 10, "move_decisions": 6, "quick_wins": 4,
                  "cohort_relations": 3}


def _env_on(dbname: str):  # noqa: ANN202
    from wizard.environments import Environment
    from wizard.rehearsal import clusters as sandbox

    return Environment("sandbox-staging", "sandbox", "staging", {**sandbox.conninfo("sandbox-staging"), "dbname": dbname},
                       workspace=str(sandbox.workspace_dir()))


def _tables(env) -> int:  # noqa: ANN001
    with psycopg.connect(**env.conninfo, autocommit=True) as conn:
        return conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()[0]


def _panel_text(app) -> str:  # noqa: ANN001
    """The panel as the terminal shows it (wide enough that no name is cut)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(app.screen.query_one(MigrationPreview).content)
    return console.export_text()


async def _open(pilot, task_id: str) -> MigrationPreview:  # noqa: ANN001
    await ready(pilot)
    pilot.app.open_task(task_id)
    await pilot.pause()
    panel = pilot.app.screen.query_one(MigrationPreview)
    await until(pilot, lambda: isinstance(panel.shown, dict) or (panel.shown or ("",))[0] == "note"
                and "reading" not in panel.shown[1], what="the preview", timeout=30)
    return panel


async def test_tuesday_012_shows_the_nine_tables_before_anything_runs(fresh_env, tmp_path):
    before = _tables(fresh_env)
    app = make_app(fresh_env, journal_path=tmp_path / "journal.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(pilot, "2.4")
        assert isinstance(panel.shown, dict), panel.shown
        assert panel.display
        text = _panel_text(app)
        for table, rows in DROPPED_BY_012.items():
            line = next((line for line in text.splitlines() if f"public.{table} " in line), text)
            assert f" {rows} " in line, line
        assert "moves_quest_id_fkey" in text and "foreign key" in text  # from a table that survives
        assert "ban-drop-table ×9" in text
        assert not app.run_active
        events = [e["type"] for e in app.journal.events]
    assert _tables(fresh_env) == before  # read only: nothing dropped, nothing created
    assert "step_started" not in events and "sql" not in events


async def test_a_passed_migration_has_no_panel_and_a_failed_preview_is_one_line(fresh_env, tmp_path):
    """011 passed here: no panel. 012 on a database that is gone: one line, and the step's keys still work."""
    from wizard.environments import Environment

    from wizard.runbook import load_runbook

    runbook = load_runbook()
    journal = write_journal(tmp_path / "journal.jsonl", runbook, fresh_env,
                            [("tuesday", [passed(runbook.step("2.2.apply_011"), {})], None)])
    app = make_app(fresh_env, journal_path=journal, runbook=runbook)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_task("2.2")
        await settle(pilot)
        assert not app.screen.query_one(MigrationPreview).display
    gone = Environment("sandbox-staging", "sandbox", "staging", {**fresh_env.conninfo, "dbname": "no_such_db"},
                       workspace=fresh_env.workspace)
    app = make_app(gone, journal_path=tmp_path / "journal2.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(pilot, "2.4")
        assert panel.has_class("-failed") and "no_such_db" in panel.shown[1], panel.shown
        await settle(pilot)
        assert panel.region.height == 1, panel.shown  # one line, however long the reason


@pytest.fixture
def snapshot_env(clusters):  # noqa: ANN001
    """The pre-clean-up database under a fixed name (the banner shows it), dropped afterwards."""
    from wizard.rehearsal import clusters as sandbox

    name = "preview_snapshot"
    admin = {**sandbox.conninfo("sandbox-staging"), "dbname": "template1"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name} template pristine")
    yield _env_on(name)
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


@pytest.mark.parametrize("task_id", ["2.2", "2.4"])
def test_task_screen_preview_panel(snap_compare, snapshot_env, tmp_path, task_id):
    """011 (rebuilds one table, drops none for good) and 012 (drops nine) at 120x40, on the sandbox."""
    socket = str(snapshot_env.conninfo["host"])
    app = make_app(snapshot_env, journal_path=tmp_path / f"{uuid.uuid4().hex[:6]}.jsonl", prepare=False,
                   fmt=stable_display((str(tmp_path), "<tmp>"), (socket, "<sandbox socket>")))

    async def open_task(pilot):  # noqa: ANN001
        await _open(pilot, task_id)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_task)


def test_snapshot_database_is_the_pre_clean_up_one(snapshot_env):
    assert _tables(snapshot_env) == 52

