"""Pilot tests of the TUI on a real embedded cluster: walk Monday, cancel a pg_sleep(30) step,
answer an attest form with a bad then a good value, quit during a running step.

The session's data dir is isolated (conftest's `data_dir` sets MIGRATION_WIZARD_DATA before
wizard.rehearsal.clusters is used); journals are written under each test's tmp_path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

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
        await pilot.press("x")  # asks where, the folder beside the journal already in the box
        from screens.dialogs import ExportScreen

        await until(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export question")
        assert app.screen.query_one("#export-dir").value == str(tmp_path / "journal-documents")
        await pilot.press("enter")
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
        entries = [(title, help_text) for title, help_text, _ in WizardCommands(app.screen).entries()]
        assert "Run Thursday" not in titles  # its steps need production: not offered on a staging sandbox
        assert ("Run task 1.4 Backup Current Database", "Run its 1 step on sandbox-staging") in entries
        system = [c.title for c in app.get_system_commands(app.screen)]
        assert "Quit" not in system and [t for t, _ in entries].count("Quit") == 1
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
        thread = threading.Thread(target=lambda: answers.append(asyncio.run(app.dialogue.confirm_production(env, step))))
        thread.start()
        await until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen), what="the typed confirmation")
        dialog = app.screen
        assert "PRODUCTION [PRODUCTION]" in str(dialog.query_one(".env-chip").render())
        assert dialog.query_one("#typed").value == ""  # never pre-filled
        await pilot.press(*"yes", "enter")  # a wrong name: said so, and asked again
        await pilot.pause()
        assert app.screen is dialog and dialog.refusals == 1 and thread.is_alive()
        assert "'yes' is not 'production'" in str(dialog.query_one("#typed-error").render())
        await pilot.press(*"production", "enter")
        await until(pilot, lambda: not thread.is_alive(), what="the engine thread to get its answer")
    assert answers == ["production"]  # the gate (wizard.guards) judges it all the same


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


async def test_attest_form_starts_empty_and_ctrl_s_takes_the_suggestion(tmp_path):
    """Enter on the empty form answers nothing; Ctrl+S puts the rehearsal's answer in; a typed
    name is never offered."""
    from tui_fixtures import demo_environment
    from wizard.runbook import load_runbook

    runbook = load_runbook()
    app = make_app(demo_environment("sandbox"), journal_path=tmp_path / "journal.jsonl", runbook=runbook, prepare=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        results: list = []
        app.push_screen(AttestScreen("1.4", runbook.step("1.4.backup"), app.banner_info, "2026-11-23T08:30:00+00:00"),
                        results.append)
        await pilot.pause()
        form = app.screen
        assert form.query_one("#answer").value == ""
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and form.refusals == 1 and not results
        await pilot.press("ctrl+s")
        assert form.query_one("#answer").value == "2026-11-23T08:30:00+00:00"
        named = AttestScreen("1.5", runbook.step("1.5.separate_project"), app.banner_info, "sandbox-staging")
        assert named.suggestion == ""  # the typed name is never offered


async def test_a_typed_answer_is_the_operators_even_when_it_equals_the_suggestion(tmp_path):
    """Only Ctrl+S makes an answer "accepted the rehearsal's suggestion" in the journal; the same
    words typed by hand are the operator's own."""
    from tui_fixtures import demo_environment

    steps = [Step(f"9.2.{n}", "attest", f"Question {n}", "local", {"question": "Read it?", "answer_type": "confirm"})
             for n in ("typed", "taken")]
    app = make_app(demo_environment("sandbox"), journal_path=tmp_path / "journal.jsonl",
                   runbook=tiny_runbook(tmp_path, steps), prepare=False)
    app.session.rehearsal_answers.update({"9.2.typed": "yes", "9.2.taken": "yes"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.start_run("monday")
        await until(pilot, lambda: isinstance(app.screen, AttestScreen), what="the first question")
        await pilot.pause()
        await answer(pilot, "yes")
        await until(pilot, lambda: isinstance(app.screen, AttestScreen) and app.screen.step.id == "9.2.taken",
                    what="the second question")
        await pilot.pause()
        await pilot.press("ctrl+s", "enter")
        await until(pilot, lambda: not app.run_active, what="the run")
        state = replay(app.journal.events)
        assert state.latest("9.2.typed", "sandbox-staging").data["answer_source"] == "operator"
        assert (state.latest("9.2.taken", "sandbox-staging").data["answer_source"]
                == "operator (accepted the rehearsal's suggestion)")


async def test_not_applicable_and_a_no_with_its_hint(tmp_path):
    """An optional question answered "not applicable" is journaled as such and skipped; a "no" to
    a safety question stops the day there with the runbook's hint."""
    from tui_fixtures import demo_environment

    steps = [
        Step("9.1.cli", "attest", "Optional dry run", "local",
             {"question": "Did the CLI dry run list the two files?", "answer_type": "confirm"}, optional=True),
        Step("9.1.report", "attest", "Report written", "local",
             {"question": "Is the report written?", "answer_type": "confirm",
              "if_no": "write it first, then run the task again"}, optional=True),
        Step("9.1.after", "attest", "Never asked", "local", {"question": "Not reached?", "answer_type": "text"}),
    ]
    app = make_app(demo_environment("sandbox"), journal_path=tmp_path / "journal.jsonl",
                   runbook=tiny_runbook(tmp_path, steps), prepare=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.start_run("monday")
        await until(pilot, lambda: isinstance(app.screen, AttestScreen), what="the optional question")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, AttestScreen) and app.screen.step.id == "9.1.report",
                    what="the safety question")
        await answer(pilot, "no")
        await until(pilot, lambda: not app.run_active, what="the run to stop")
        state = replay(app.journal.events)
        skipped = state.latest("9.1.cli", "sandbox-staging")
        assert skipped.status == "skipped" and skipped.data["answer"] == "not applicable" and skipped.data["not_applicable"]
        refused = state.latest("9.1.report", "sandbox-staging")
        assert not refused.ok and "write it first, then run the task again" in refused.error
        assert state.latest("9.1.after", "sandbox-staging") is None  # a "no" stops, even on an optional question


async def test_rehearsal_reopens_its_week_and_n_starts_a_new_one(tmp_path, monkeypatch):
    """Run a step, quit, open the rehearsal again on the same data dir: the same journal, the step
    still done, the clusters not rebuilt. N asks first, keeps the journal aside and lists it."""
    from wizard.environments import resolve_environment
    from wizard.rehearsal import clusters as sandbox

    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(tmp_path / "data"))
    journal = tmp_path / "rehearsal.jsonl"
    try:
        app = make_app(resolve_environment("sandbox-staging"), journal_path=journal, rehearsal=True)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.journal is not None or app.problem is not None, timeout=180, what="the rehearsal")
            assert app.problem is None, app.problem
            app.start_run("monday", step=(app.runbook.task("1.4"), app.runbook.step("1.4.backup")))
            await until(pilot, lambda: isinstance(app.screen, AttestScreen), what="the backup question")
            await pilot.press("ctrl+s", "enter")
            await until(pilot, lambda: not app.run_active, what="the step")
            await pilot.press("q")
        reset_calls: list = []
        monkeypatch.setattr(sandbox, "reset", lambda name: reset_calls.append(name))
        again = make_app(resolve_environment("sandbox-staging"), journal_path=journal, rehearsal=True)
        async with again.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: again.journal is not None or again.problem is not None, timeout=180,
                        what="the reopened rehearsal")
            assert again.problem is None, again.problem
            await pilot.pause()
            assert not reset_calls
            notes = [e["text"] for e in again.journal.events if e["type"] == "note"]
            assert "rehearsal reopened where it stopped: same journal, clusters kept" in notes
            days = again.screen.query_one("#days")
            assert "1/7" in str(days.get_option_at_index(0).prompt)
            assert again.state.latest("1.4.backup", "sandbox-staging").ok
            await pilot.press("N")
            await until(pilot, lambda: isinstance(again.screen, ConfirmScreen), what="the new-week question")
            assert "rehearsal-" in again.screen.message
            await pilot.press("y")
            await until(pilot, lambda: again.journal is not None and again.archived_journals, timeout=180,
                        what="the new week")
            assert reset_calls == list(sandbox.NAMES)
            assert again.archived_journals[0].exists() and again.state.latest("1.4.backup", "sandbox-staging") is None
            await pilot.pause()
            assert "Earlier weeks" in str(again.screen.query_one("#run-title").render())
    finally:
        for name in sandbox.NAMES:
            sandbox.stop(name)


async def test_keymap_toml_in_the_config_dir(tmp_path, monkeypatch):
    """keymap.toml (binding id = keys) moves a key; an unknown id is reported, not applied."""
    from screens.help import HelpScreen
    from tui_fixtures import demo_environment

    monkeypatch.setenv("MIGRATION_WIZARD_CONFIG", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "keymap.toml").write_text('"wizard.help" = "f2"\n"wizard.no_such_thing" = "z"\n')
    app = make_app(demo_environment("sandbox"), journal_path=tmp_path / "journal.jsonl", prepare=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert app.wizard_keymap == {"wizard.help": "f2"}
        assert any("wizard.no_such_thing" in n.message for n in app._notifications)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_the_running_step_is_followed(env, tmp_path):
    """`r` on a task screen runs the day: each running step is selected in the step list, on screen,
    and when the run goes on to the next task, that task's screen opens."""
    from wizard.runbook.model import Day, Runbook, Task

    sleep = lambda n, s: Step(f"9.{n}.{s}", "query", f"Sleep {s}", "any", {"sql": "select pg_sleep(0.8)"})  # noqa: E731
    first = Task("9.1", "First task", 5, "Two steps.", (sleep(1, "a"), sleep(1, "b")), day_id="monday")
    second = Task("9.2", "Second task", 5, "Two more.", (sleep(2, "c"), sleep(2, "d")), day_id="monday")
    path = tmp_path / "two_tasks.toml"
    path.write_text("# built in the test\n")
    runbook = Runbook("Two tasks", str(path), {}, (Day("monday", "Day", "Two tasks.", (first, second)),))
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=runbook)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_task("9.1")
        await pilot.pause()
        await pilot.press("r")

        def shows(step_id: str) -> bool:
            screen = app.screen
            if not isinstance(screen, TaskScreen) or app.running is None or app.running[1].id != step_id:
                return False
            steps = screen.query_one("#steps")
            return screen.step.id == step_id and steps.highlighted_option.id == step_id

        await until(pilot, lambda: shows("9.1.b"), what="9.1.b selected while it runs", timeout=20)
        await until(pilot, lambda: shows("9.2.d"), what="task 9.2 opened, 9.2.d selected", timeout=20)
        steps = app.screen.query_one("#steps")
        assert steps.scroll_offset.y <= steps.highlighted <= steps.scroll_offset.y + steps.size.height
        await until(pilot, lambda: not app.run_active, what="the run to end", timeout=20)
        assert app.screen.the_task.id == "9.2"


async def test_a_migration_that_gave_up_on_its_locks_offers_retry(env, tmp_path, sandbox_staging):
    """Issue 11: a migration that could not take its locks changed nothing; the TUI offers Retry,
    which runs the day again and resumes at the failed step."""
    from screens.dialogs import RetryScreen

    table = f"retry_probe_{int(time.time() * 1000) % 10**8}"
    with psycopg.connect(**sandbox_staging, autocommit=True) as conn:
        conn.execute(f"create table {table} (id int)")
    sql = tmp_path / "013_retry_probe.sql"
    sql.write_text(f"ALTER TABLE {table} ADD COLUMN note text;\n")
    step = Step("9.1.alter", "migration", f"Add a column to {table}", "any",
                {"file": str(sql), "lock_wait": "500ms"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]))
    holder = psycopg.connect(**sandbox_staging, application_name="forgotten-report")
    try:
        holder.execute(f"select count(*) from {table}").fetchone()  # ACCESS SHARE, transaction left open
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, RetryScreen), what="the Retry offer", timeout=20)
            assert app.screen.step_id == "9.1.alter" and "lock wait gave up" in app.screen.message
            assert replay(app.journal.events).latest("9.1.alter", env.name).status == "error"
            holder.rollback()  # whoever held the lock is done
            await pilot.press("r")  # Retry
            await until(pilot, lambda: replay(app.journal.events).latest("9.1.alter", env.name).status != "error",
                        what="the retry to run", timeout=20)
            await until(pilot, lambda: not app.run_active, what="the retry to finish", timeout=20)
            state = replay(app.journal.events)
            assert state.latest("9.1.alter", env.name).status == "passed"
            assert [p.pass_id for p in state.passes if p.env == env.name] == [1]  # resumed, not a new pass
            assert not isinstance(app.screen, RetryScreen)
    finally:
        holder.close()
        with psycopg.connect(**sandbox_staging, autocommit=True) as conn:
            conn.execute(f"drop table if exists {table}")


async def test_the_gate_dialog_keeps_the_name_box_on_a_small_terminal(tmp_path):
    """80x24 with nine tables, the staging match and the backup: the dialog scrolls, the name box
    (focused) stays on screen."""
    from screens.dialogs import TypedConfirmScreen
    from tui_fixtures import demo_environment, preview_012
    from wizard.session import prompt_for_production

    env = demo_environment("production")
    step = Step("4.5.apply_012", "migration", "Apply 012 to production", "production", {"file": "x.sql"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]), prepare=False)
    evidence = {"file": "012_remove_unused_features.sql", "sha256": "9f2c" + "0" * 60,
                "staging_pass": {"env": "staging", "step": "2.4.apply_012", "ts": "2026-11-24T14:05:12+00:00"},
                "backup": {"time": "2026-11-26T06:00:00+00:00", "how": "attested", "age_hours": 3.25},
                "preview": preview_012()}
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.push_screen(TypedConfirmScreen(prompt_for_production(env, step), "production", app.banner_info, evidence))
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        typed = screen.query_one("#typed")
        assert typed.has_focus
        region = typed.region
        assert region.height > 0 and region.y + region.height <= 24, region
        await pilot.press(*"production", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, TypedConfirmScreen)


async def test_the_drop_list_keeps_no_in_view_on_a_small_terminal(tmp_path):
    from screens.dialogs import DropConfirmScreen
    from tui_fixtures import demo_environment, preview_012

    env = demo_environment("staging")
    step = Step("2.4.apply_012", "migration", "Apply 012 to staging", "staging", {"file": "x.sql"})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]), prepare=False)
    answers: list = []
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.push_screen(DropConfirmScreen(step, preview_012(), app.banner_info), answers.append)
        await pilot.pause()
        await pilot.pause()
        no = app.screen.query_one("#no")
        assert no.has_focus and no.region.height > 0 and no.region.y + no.region.height <= 24, no.region
        await pilot.press("enter")
        await pilot.pause()
    assert answers == [False]
