"""Snapshot tests (pytest-textual-snapshot) of each screen an operator sees, in each environment
colour. Nothing connects: environments have fixed details, journals hold known results, and
the Display masks durations, times and tmp paths, so the SVGs are the same on every run.

Update after a deliberate UI change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screens.app import WizardApp
from screens.dialogs import AttestScreen
from tui_fixtures import demo_environment, every_day_passed, monday_results, passed, stable_display, table, write_journal
from wizard.results import ERROR, StepResult
from wizard.runbook import load_runbook
from tui_support import make_app as app_on, settle

SIZE = (120, 40)
KINDS = ("sandbox", "staging", "production")


@pytest.fixture(scope="module")
def runbook():
    return load_runbook()


def make_app(tmp_path: Path, runbook, kind: str, days=()) -> WizardApp:  # noqa: ANN001
    env = demo_environment(kind)
    path = tmp_path / "journal.jsonl"
    if days:
        write_journal(path, runbook, env, list(days))
    return app_on(env, journal_path=path, runbook=runbook, prepare=False,
                     fmt=stable_display((str(tmp_path), "<tmp>")))


def tuesday_failed(runbook) -> list[StepResult]:  # noqa: ANN001
    results = []
    for task in runbook.day("tuesday").tasks:
        for step in task.steps:
            if step.id == "2.4.apply_012":
                results.append(StepResult(
                    step.id, step.kind, ERROR, duration_s=0.3, data={"rolled_back": True, "sql_error": {"sqlstate": "2BP01"}},
                    error="2BP01: cannot drop table quests because other objects depend on it "
                          "(constraint quest_moves_quest_id_fkey on table quest_moves depends on table quests)"))
                return results
            results.append(passed(step, table([("ok", "bool")], [[True]])))
    return results


def thursday_with_big_result(runbook) -> list[StepResult]:  # noqa: ANN001
    results = []
    for task in runbook.day("thursday").tasks:
        for step in task.steps:
            if step.id == "4.7.rls_policies":
                rows = [[f"table_{i % 43:02d}", f"policy_{i}", None if i % 3 == 0 else f"(workspace_id = {i})", i]
                        for i in range(1000)]
                data = table([("tablename", "name"), ("policyname", "name"), ("qual", "text"), ("n", "int4")], rows,
                             total=52_113)
                results.append(passed(step, data))
                return results
            if step.kind == "attest":
                results.append(passed(step, {"answer": "yes", "answer_source": "operator"}, status="attested"))
            else:
                results.append(passed(step, {}))
    return results


@pytest.mark.parametrize("kind", KINDS)
def test_week_overview_fresh(snap_compare, tmp_path, runbook, kind):
    assert snap_compare(make_app(tmp_path, runbook, kind), terminal_size=SIZE, run_before=settle)


@pytest.mark.parametrize("kind", KINDS)
def test_week_overview_monday_passed(snap_compare, tmp_path, runbook, kind):
    app = make_app(tmp_path, runbook, kind, [("monday", monday_results(runbook), True)])
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_task_screen_results_sandbox(snap_compare, tmp_path, runbook):
    """Task 1.6: the 52-table baseline, then the core tables' counts in a results table."""
    app = make_app(tmp_path, runbook, "sandbox", [("monday", monday_results(runbook), True)])

    async def open_task(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task("1.6")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_task)


def test_task_screen_failure_advice_staging(snap_compare, tmp_path, runbook):
    """A failed migration: the error, and the runbook's troubleshooting advice for it."""
    app = make_app(tmp_path, runbook, "staging", [("monday", monday_results(runbook), True),
                                                  ("tuesday", tuesday_failed(runbook), False)])

    async def open_task(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task("2.4")
        await settle(pilot)
        pilot.app.screen.query_one("#step-view").scroll_end(animate=False)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_task)


def test_task_screen_truncated_table_production(snap_compare, tmp_path, runbook):
    """NULLs, right-aligned numbers, types in the header, and 'showing 1,000 of 52,113 rows'."""
    app = make_app(tmp_path, runbook, "production", [("thursday", thursday_with_big_result(runbook), None)])

    async def open_task(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task("4.7")
        await settle(pilot)
        pilot.app.screen.show_step("4.7.rls_policies")
        await settle(pilot)
        pilot.app.screen.query_one("#step-view").scroll_end(animate=False)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_task)


ATTEST = {"sandbox": ("1.4", "1.4.backup", "yesterday evening"),
          "staging": ("1.5", "1.5.separate_project", "production"),
          "production": ("4.1", "4.1.backup", "26/11/2026")}


@pytest.mark.parametrize("kind", KINDS)
def test_attest_form_refuses_a_bad_answer(snap_compare, tmp_path, runbook, kind):
    task_id, step_id, bad = ATTEST[kind]
    app = make_app(tmp_path, runbook, kind)

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.push_screen(AttestScreen(task_id, runbook.step(step_id), pilot.app.banner_info))
        await settle(pilot)
        await pilot.press(*bad, "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


@pytest.mark.parametrize("kind", ("staging", "production"))
def test_run_confirmation_names_the_environment(snap_compare, tmp_path, runbook, kind):
    app = make_app(tmp_path, runbook, kind)
    keys = ["r"] if kind == "staging" else ["right", "right", "right", "r"]

    async def press_run(pilot):  # noqa: ANN001
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=press_run)


def test_quit_confirmation_sandbox(snap_compare, tmp_path, runbook):
    app = make_app(tmp_path, runbook, "sandbox")

    async def ask_quit(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.running = (runbook.task("1.6"), runbook.step("1.6.table_count"))
        pilot.app.push_screen(pilot.app.quit_dialog())
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask_quit)


def test_rerun_confirmation_sandbox(snap_compare, tmp_path, runbook):
    app = make_app(tmp_path, runbook, "sandbox", [("monday", monday_results(runbook), True)])
    assert snap_compare(app, terminal_size=SIZE, run_before=settle, press=["r"])


def test_production_typed_confirmation(snap_compare, tmp_path, runbook):
    from screens.dialogs import TypedConfirmScreen
    from wizard.guards import prompt_for

    app = make_app(tmp_path, runbook, "production")

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        step = runbook.step("4.5.apply_012")
        pilot.app.push_screen(TypedConfirmScreen(prompt_for(pilot.app.env, step), "production", pilot.app.banner_info))
        await settle(pilot)
        await pilot.press(*"product")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_password_dialog_staging(snap_compare, tmp_path, runbook):
    from screens.dialogs import PasswordScreen

    app = make_app(tmp_path, runbook, "staging")

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.push_screen(PasswordScreen("Database password for staging (wizard@db.staging.example.internal; "
                                             "it is kept in the OS keyring): ", pilot.app.banner_info))
        await settle(pilot)
        await pilot.press(*"secret")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_help_screen(snap_compare, tmp_path, runbook):
    app = make_app(tmp_path, runbook, "sandbox")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle, press=["f1"])


def test_environment_picker(snap_compare, tmp_path, runbook):
    app = make_app(tmp_path, runbook, "sandbox")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle, press=["e"])


@pytest.mark.parametrize("size", [(70, 30), (120, 20)])
def test_small_terminal_message(snap_compare, tmp_path, runbook, size):
    app = make_app(tmp_path, runbook, "production")
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_sandbox_production_banner_is_red(snap_compare, tmp_path, runbook):
    """The sandbox that plays production wears production's red; the banner still says SANDBOX."""
    app = make_app(tmp_path, runbook, "sandbox-production")
    assert "SANDBOX-PRODUCTION [SANDBOX · plays production]" in app.banner_info.text()
    assert app.banner_info.css_class == "env-sandbox-production"
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_week_complete_standing(snap_compare, tmp_path, runbook):
    app = make_app(tmp_path, runbook, "sandbox", every_day_passed(runbook))

    async def check(pilot):  # noqa: ANN001
        await settle(pilot)
        assert str(pilot.app.screen.query_one("#standing").render()).startswith("Week complete")

    assert snap_compare(app, terminal_size=SIZE, run_before=check)


def test_attest_form_starts_empty_and_offers_the_suggestion(snap_compare, tmp_path, runbook):
    """The rehearsal's backup time is offered, not filled in: Enter alone answers nothing."""
    app = make_app(tmp_path, runbook, "sandbox")

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.push_screen(AttestScreen("1.4", runbook.step("1.4.backup"), pilot.app.banner_info,
                                           "2026-11-23T08:30:00+00:00",
                                           "the rehearsal's own pg_dump of sandbox-production finished at 2026-11-23T08:30:00+00:00"))
        await settle(pilot)
        assert pilot.app.screen.query_one("#answer").value == ""

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_optional_attest_offers_not_applicable(snap_compare, tmp_path, runbook):
    app = make_app(tmp_path, runbook, "sandbox-production")

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.push_screen(AttestScreen("4.3", runbook.step("4.3.supabase_dry_run"), pilot.app.banner_info))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_typed_name_asked_again_after_a_wrong_name(snap_compare, tmp_path, runbook):
    from screens.dialogs import TypedConfirmScreen
    from wizard.guards import prompt_for

    app = make_app(tmp_path, runbook, "production")

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        step = runbook.step("4.5.apply_012")
        pilot.app.push_screen(TypedConfirmScreen(prompt_for(pilot.app.env, step), "production", pilot.app.banner_info))
        await settle(pilot)
        assert pilot.app.screen.query_one("#typed").value == ""  # never pre-filled
        await pilot.press(*"prod", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TypedConfirmScreen)  # still asking

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_export_asks_where(snap_compare, tmp_path, runbook):
    """x asks where, the folder beside the journal in the box (a fixed one here: tmp paths vary)."""
    from screens.dialogs import ExportScreen

    app = make_app(tmp_path, runbook, "sandbox", [("monday", monday_results(runbook), True)])

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExportScreen)
        assert pilot.app.screen.default == str(tmp_path / "journal-documents")
        pilot.app.pop_screen()
        pilot.app.push_screen(ExportScreen("/home/operator/.local/share/migration-wizard/journals/rehearsal-documents",
                                           f"the documents “{pilot.app.runbook.title}” declares",
                                           pilot.app.banner_info))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_tuesday_drop_confirmation_lists_the_nine_tables(snap_compare, tmp_path, runbook):
    """Before 012 runs on staging: the nine tables it drops, with their rows, sizes and dependents,
    the backup's age and where it is, and that no dry run of these bytes was made there."""
    from screens.dialogs import DropConfirmScreen
    from tui_fixtures import preview_012

    app = make_app(tmp_path, runbook, "staging")
    preview = {**preview_012(), "dry_run": None,
               "backup": {"time": "2026-11-24T02:00:00+00:00", "how": "attested in step 1.4.backup", "age_hours": 12.0,
                          "max_age_hours": 24.0, "too_old": False, "attest_steps": "step 1.4.backup or 4.1.backup"}}

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.push_screen(DropConfirmScreen(runbook.step("2.4.apply_012"), preview, pilot.app.banner_info))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_production_gate_shows_drops_backup_age_and_staging_match(snap_compare, tmp_path, runbook):
    from screens.dialogs import TypedConfirmScreen
    from tui_fixtures import preview_012
    from wizard.guards import prompt_for

    app = make_app(tmp_path, runbook, "production")
    evidence = {"file": "012_remove_unused_features.sql", "sha256": "9f2c" + "0" * 60,
                "staging_pass": {"env": "staging", "step": "2.4.apply_012", "ts": "2026-11-24T14:05:12+00:00"},
                "backup": {"time": "2026-11-26T06:00:00+00:00", "how": "attested in step 4.1.backup", "age_hours": 3.25,
                           "max_age_hours": 24.0, "too_old": False},
                "dry_run": {"step": "4.3.dry_run_012", "ts": "2026-11-26T08:40:00+00:00", "status": "passed",
                            "seconds": 0.412, "catalog_diff": "0 added, 142 removed, 3 changed"},
                "preview": preview_012()}

    async def ask(pilot):  # noqa: ANN001
        await settle(pilot)
        step = runbook.step("4.5.apply_012")
        pilot.app.push_screen(TypedConfirmScreen(prompt_for(pilot.app.env, step), "production", pilot.app.banner_info,
                                                 evidence))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_migration_result_shows_the_proof_catalogue_and_statement_times(snap_compare, tmp_path, runbook):
    """Task 2.2 after 011 applied on the sandbox (its result as a real run recorded it): the
    zero-data-loss verdict and table, the locks it held, the catalogue difference, each statement's time."""
    import json

    from screens.widgets.step_view import StepView
    from wizard.paths import sql_dir

    data = json.loads((Path(__file__).parent / "data" / "migration_result_011.json").read_text())
    data["path"] = str(sql_dir() / "migrations" / data["file"])  # the shipped file, the bytes it applied
    results = [passed(step, data if step.id == "2.2.apply_011" else table([("ok", "bool")], [[True]]))
               for task in runbook.day("tuesday").tasks[:2] for step in task.steps]
    app = make_app(tmp_path, runbook, "sandbox", [("monday", monday_results(runbook), True),
                                                   ("tuesday", results, None)])

    async def open_task(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task("2.2")
        await settle(pilot)
        view = pilot.app.screen.query_one(StepView)
        view.scroll_to_widget(view.query_one(".sv-blocks"), animate=False, top=True)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_task)


# --- a runbook of its own (tests/data/billing_runbook): its week, and a file changed after it passed

BILLING = Path(__file__).parent / "data" / "billing_runbook"


def billing_monday(tmp_path: Path, monkeypatch) -> tuple[WizardApp, Path]:  # noqa: ANN001
    """The billing runbook's Monday passed (its results as a run records them, the migration and the
    parsed file with their SHA-256), opened from a working directory that is neither the runbook's nor the repository."""
    import hashlib
    import shutil

    book = tmp_path / "billing"
    shutil.copytree(BILLING, book)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    billing = load_runbook(book / "billing.toml")
    create, parse = book / "sql" / "001_create_billing.sql", book / "sql" / "002_drop_legacy.sql"
    data = {
        "1.1.create": {"file": create.name, "path": str(create), "sha256": hashlib.sha256(create.read_bytes()).hexdigest(),
                       "mode": "apply", "statements": 5, "lines": len(create.read_text().splitlines())},
        "1.1.count": table([("count", "int8")], [[4]]),
        "1.2.read": {"path": str(parse), "exists": True, "sha256": hashlib.sha256(parse.read_bytes()).hexdigest(),
                     "dropped_tables": ["billing.legacy_coupons", "billing.legacy_credits"]},
        "1.2.search": {"files_scanned": 2, "match_count": 0},
    }
    results = [passed(step, {"answer": "yes", "answer_source": "operator"}, status="attested") if step.kind == "attest"
               else passed(step, data[step.id]) for task in billing.day("monday").tasks for step in task.steps]
    env = demo_environment("sandbox")
    path = tmp_path / "journal.jsonl"
    write_journal(path, billing, env, [("monday", results, True)])
    app = app_on(env, journal_path=path, runbook=billing, prepare=False, fmt=stable_display((str(tmp_path), "<tmp>")))
    return app, create


def test_billing_overview_monday_passed(snap_compare, tmp_path, monkeypatch):
    app, _create = billing_monday(tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_billing_overview_migration_changed(snap_compare, tmp_path, monkeypatch):
    app, create = billing_monday(tmp_path, monkeypatch)
    create.write_text(create.read_text() + "\n-- edited after it passed\n")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_billing_task_screen_migration_changed(snap_compare, tmp_path, monkeypatch):
    app, create = billing_monday(tmp_path, monkeypatch)
    create.write_text(create.read_text() + "\n-- edited after it passed\n")

    async def open_task(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task("1.1")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_task)
