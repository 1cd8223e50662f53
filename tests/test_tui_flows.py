"""Pilot tests of the TUI on a real embedded cluster: walk Monday, cancel a pg_sleep(30) step,
answer an attest form with a bad then a good value, quit during a running step.

The session's data dir is isolated (conftest's `data_dir` sets MIGRATION_WIZARD_DATA before
wizard.rehearsal.clusters is used); journals are written under each test's tmp_path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import psycopg
import pytest

from screens.app import WizardApp
from screens.dialogs import AttestScreen, ConfirmScreen
from screens.overview import WeekOverview
from screens.task import TaskScreen
from tui_fixtures import tiny_runbook
from screens.widgets.results_table import ResultsTable
from wizard.runbook.model import Expectation, Step
from wizard.journal import replay
from tui_support import make_app, ready, until

SIZE = (120, 40)


@pytest.fixture(scope="session")
def sandbox_staging(data_dir: Path):
    from wizard.rehearsal import clusters as sandbox

    sandbox.ensure("sandbox-staging")
    sandbox.ensure_workspace()
    return sandbox.conninfo("sandbox-staging")


@pytest.fixture
def env(sandbox_staging):
    from wizard.environments import resolve_environment

    return resolve_environment("sandbox-staging")


async def answer(pilot, text: str) -> None:  # noqa: ANN001
    screen = pilot.app.screen
    assert isinstance(screen, AttestScreen)
    screen.query_one("#answer").value = ""
    await pilot.press(*text, "enter")
    await pilot.pause()


def sleeping_backends(info: dict) -> int:
    with psycopg.connect(**info, autocommit=True) as conn:
        return conn.execute("select count(*) from pg_stat_activity where query like 'select pg_sleep(30)%' "
                            "and pid <> pg_backend_pid() and state = 'active'").fetchone()[0]


def open_transactions(info: dict) -> int:
    with psycopg.connect(**info, autocommit=True) as conn:
        return conn.execute("select count(*) from pg_stat_activity where application_name = 'migration-wizard' "
                            "and state like 'idle in transaction%'").fetchone()[0]


async def test_walk_monday_from_the_keyboard(env, tmp_path):
    app = make_app(env, journal_path=tmp_path / "journal.jsonl")
    backup = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    answers = {"1.1.read_conflicts": "yes", "1.4.backup": backup, "1.5.separate_project": "sandbox-staging"}
    asked = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, WeekOverview)
        assert "SANDBOX-STAGING [SANDBOX" in app.banner_info.text()
        await pilot.press("r")
        await until(pilot, lambda: app.run_active or isinstance(app.screen, AttestScreen), what="the run")
        while app.run_active:
            if isinstance(app.screen, AttestScreen):
                asked.append(app.screen.step.id)
                await answer(pilot, answers[app.screen.step.id])
            await pilot.pause(0.05)
        await pilot.pause()
        state = replay(app.journal.events)
        monday = [p for p in state.passes if p.day == "monday" and p.env == "sandbox-staging"]
        assert monday and monday[-1].finished and monday[-1].ok
        assert asked == ["1.1.read_conflicts", "1.4.backup", "1.5.separate_project"]
        assert state.latest("1.6.table_count", "sandbox-staging").data["rows"][0]["total_tables"] == 52
        # the banner now carries the server's fingerprint and version
        assert app.banner_info.fingerprint and app.banner_info.server_version
        # keyboard: open task 1.6 and see the count in a results table
        for _ in range(5):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskScreen) and app.screen.the_task.id == "1.6"
        await until(pilot, lambda: app.screen.query(ResultsTable), what="the results table")
        grid = app.screen.query_one(ResultsTable)
        await until(pilot, lambda: grid.grid is not None, what="rows")
        assert grid.grid.backend.get_cell_at(0, 0) == 52
        assert "1 row" in str(grid.query_one(".results-count").render())
        await pilot.press("escape")
        assert isinstance(app.screen, WeekOverview)
        # x writes the week's documents from the same journal, beside it
        await pilot.press("x")
        log = tmp_path / "journal-documents" / "MIGRATION_LOG_WEEK1.md"
        await until(pilot, log.exists, what="the exported migration log")
        await app.workers.wait_for_complete()
        assert "52" in log.read_text() and (tmp_path / "journal-documents" / "MIGRATION_WEEK1_FINAL_REPORT.md").exists()


async def test_cancel_a_pg_sleep_30_step(env, tmp_path, sandbox_staging):
    step = Step("9.1.sleep", "query", "Sleep 30 s on the server", "any", {"sql": "select pg_sleep(30)"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]))
    finished = []
    app.result_hooks.append(lambda t, s, r: finished.append((time.perf_counter(), r)))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await until(pilot, lambda: app.running is not None, what="the step to start")
        await until(pilot, lambda: sleeping_backends(sandbox_staging) == 1, what="pg_sleep on the server", timeout=10)
        started = time.perf_counter()
        await pilot.press("ctrl+k")
        await until(pilot, lambda: finished, what="the cancelled result", timeout=10)
        latency = finished[0][0] - started
        assert finished[0][1].status == "cancelled"
        assert latency < 5, latency
        await until(pilot, lambda: not app.run_active, what="the engine to close")
        await pilot.pause()
        assert sleeping_backends(sandbox_staging) == 0
        assert open_transactions(sandbox_staging) == 0
        state = replay(app.journal.events)
        assert state.latest("9.1.sleep", env.name).status == "cancelled"
        assert "cancelled" in app.screen.query_one("#tasks").get_row_at(0)[3].plain


async def test_attest_form_bad_then_good_value(env, tmp_path):
    steps = [
        Step("9.1.backup", "attest", "Note the backup time", "local",
             {"question": "When was the last backup taken?", "answer_type": "timestamp", "max_age_hours": 24},
             expect=(Expectation("answer != ''", "a backup time was given"),)),
        Step("9.1.which", "attest", "Confirm the environment", "any",
             {"question": "Type the environment's name", "answer_type": "confirm", "must_equal": "{env.name}"}),
    ]
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, steps))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, AttestScreen), what="the attest form")
        form = app.screen
        await answer(pilot, "last tuesday-ish")
        assert app.screen is form, "a bad answer must re-ask, not close the form"
        error = str(form.query_one("#attest-error").render())
        assert "is not a date and time" in error and form.refusals == 1
        stale = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=30)).isoformat(timespec="seconds")
        await answer(pilot, stale)
        assert app.screen is form and "old" in str(form.query_one("#attest-error").render())
        good = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        await answer(pilot, good)
        await until(pilot, lambda: isinstance(app.screen, AttestScreen) and app.screen is not form, what="the second form")
        second = app.screen
        assert "sandbox-staging" in str(second.query_one(".attest-hint").render())
        assert "SANDBOX-STAGING" in str(second.query_one(".env-chip").render())
        await answer(pilot, "staging")
        assert "Type 'sandbox-staging' exactly" in str(second.query_one("#attest-error").render())
        await answer(pilot, "sandbox-staging")
        await until(pilot, lambda: not app.run_active, what="the run to finish")
        state = replay(app.journal.events)
        assert state.latest("9.1.backup", env.name).status == "attested"
        assert state.answers["9.1.backup"].startswith(good[:16])
        assert state.latest("9.1.which", env.name).status == "attested"
        assert state.answers["9.1.which"] == "sandbox-staging"


async def test_escape_on_the_attest_form_cancels_the_step(env, tmp_path):
    step = Step("9.1.ok", "attest", "Say yes", "local", {"question": "Ready?", "answer_type": "confirm"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, AttestScreen), what="the attest form")
        await pilot.press("escape")
        await until(pilot, lambda: not app.run_active, what="the run to stop")
        assert replay(app.journal.events).latest("9.1.ok", env.name).status == "cancelled"


async def test_quit_during_a_running_step_asks_then_cancels(env, tmp_path, sandbox_staging):
    step = Step("9.1.sleep", "query", "Sleep 30 s on the server", "any", {"sql": "select pg_sleep(30)"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await until(pilot, lambda: sleeping_backends(sandbox_staging) == 1, what="pg_sleep on the server", timeout=10)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "SANDBOX-STAGING" in str(app.screen.query_one(".env-chip").render())
        assert "sandbox-staging" in app.screen.title_text
        await pilot.press("n")  # keep running
        await pilot.pause()
        assert app.run_active and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running, what="the app to exit", timeout=10)
    journal_events = (tmp_path / "journal.jsonl").read_text()
    assert '"status":"cancelled"' in journal_events.replace(" ", "")
    assert sleeping_backends(sandbox_staging) == 0
    assert open_transactions(sandbox_staging) == 0


async def test_small_terminal_shows_a_message_not_a_broken_layout(env, tmp_path):
    app = make_app(env, journal_path=tmp_path / "journal.jsonl")
    async with app.run_test(size=(70, 20)) as pilot:
        await ready(pilot)
        message = app.screen.query_one(".too-small")
        assert message.display and "70x20" in str(message.render())
        assert not app.screen.query_one("#week").display
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.screen.query_one("#week").region.height > 0


async def test_keymap_remaps_a_binding_by_id(env, tmp_path):
    step = Step("9.1.one", "query", "select 1", "any", {"sql": "select 1 as one"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.set_keymap({"wizard.run_day": "g"})
        await pilot.press("g")
        await until(pilot, lambda: not app.run_active and replay(app.journal.events).latest("9.1.one", env.name),
                    what="the remapped run")
        assert replay(app.journal.events).latest("9.1.one", env.name).status == "passed"


async def test_palette_lists_every_action(env, tmp_path):
    from screens.actions import ACTIONS
    from screens.palette import WizardCommands

    app = make_app(env, journal_path=tmp_path / "journal.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = {title for title, _, _ in WizardCommands(app.screen).entries()}
        assert {a.title for a in ACTIONS if a.scope in ("app", "overview")} <= titles
        assert {"Run Monday", "Open task 1.6 Document Current State"} <= titles
        app.open_task("1.6")
        await pilot.pause()
        titles = {title for title, _, _ in WizardCommands(app.screen).entries()}
        assert {a.title for a in ACTIONS if a.scope in ("app", "task")} <= titles


async def test_results_table_with_100000_rows(tmp_path):
    from textual.app import App

    rows = [{"id": i, "name": f"row {i}", "note": None if i % 7 == 0 else "x"} for i in range(100_000)]
    data = {"columns": ["id", "name", "note"], "column_types": ["int8", "text", "text"], "rows": rows,
            "row_count": 100_000, "shown_rows": 100_000, "truncated": False}

    class One(App):
        def compose(self):  # noqa: ANN201
            yield ResultsTable(data, title="big")

    app = One()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ResultsTable)
        await until(pilot, lambda: table.grid is not None, what="the first rows", timeout=10)
        assert table.grid.backend.get_cell_at(0, 1) == "row 0"  # shown at once, before the whole table is built
        await until(pilot, lambda: table.loaded, what="the whole table", timeout=20)
        assert table.grid.backend.row_count == 100_000
        assert table.grid.backend.get_cell_at(7, 2) is None
        assert "100,000 rows" in str(table.query_one(".results-count").render())
        table.load({**data, "rows": rows[:1000], "shown_rows": 1000, "row_count": 52_113, "truncated": True})
        await pilot.pause()
        assert "showing 1,000 of 52,113 rows" in str(table.query_one(".results-count").render())


async def test_production_gate_asks_for_the_typed_name_from_the_engine_thread(tmp_path):
    """The engine runs on a thread of its own; its production gate asks the screen, and waits."""
    import threading

    from screens.dialogs import TypedConfirmScreen
    from tui_fixtures import demo_environment

    env = demo_environment("production")
    step = Step("4.5.apply_012", "migration", "Apply 012 to production", "production", {"file": "x.sql"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]),
                    prepare=False)
    answers: list = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for typed in ("yes", "production"):
            thread = threading.Thread(target=lambda: answers.append(asyncio.run(app.dialogue.confirm_production(env, step))))
            thread.start()
            await until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen), what="the typed confirmation")
            assert "PRODUCTION [PRODUCTION]" in str(app.screen.query_one(".env-chip").render())
            await pilot.press(*typed, "enter")
            await until(pilot, lambda: not thread.is_alive(), what="the engine thread to get its answer")
    assert answers == ["yes", "production"]  # the gate (wizard.guards) judges it: only the name passes


async def test_tui_rehearsal_starts_from_a_clean_slate(tmp_path, monkeypatch):
    """`migration-wizard rehearse` in the TUI: the previous rehearsal journal is kept aside with its
    sidecar, both clusters are rebuilt, a real backup is taken and noted, and its time is offered
    as the answer to "note the backup timestamp". Own data dir: the session's clusters stay as they are."""
    from wizard.rehearsal import clusters as sandbox
    from wizard.environments import resolve_environment

    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(tmp_path / "data"))
    journal = tmp_path / "rehearsal.jsonl"
    journal.write_text("")
    try:
        app = make_app(resolve_environment("sandbox-staging"), journal_path=journal, rehearsal=True)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.journal is not None or app.problem is not None, timeout=120, what="the rehearsal")
            assert app.problem is None, app.problem
            notes = [e["text"] for e in app.journal.events if e["type"] == "note"]
            assert any(n.startswith("previous rehearsal journal kept as rehearsal-") for n in notes), notes
            assert any("taken with pg_dump" in n for n in notes), notes
            assert dt.datetime.fromisoformat(app.rehearsal_answers["1.4.backup"])
            assert [p.name for p in tmp_path.glob("rehearsal-*.jsonl")]
            for name in sandbox.NAMES:
                assert sandbox.status(name).running
    finally:
        for name in sandbox.NAMES:
            sandbox.stop(name)
