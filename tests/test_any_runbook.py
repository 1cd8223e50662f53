"""Any runbook, end to end: a runbook written only from docs/RUNBOOKS.md (a billing schema, a
TypeScript app) runs headless from another working directory, and its journal belongs to it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "billing_runbook"


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("anydata")
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(data), "PYTHONPATH": str(Path(__file__).parents[1]),
           "MIGRATION_WIZARD_CONFIG": str(tmp_path_factory.mktemp("anyconfig")), "NO_COLOR": "1", "COLUMNS": "160"}
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # never the runbook's folder nor the repository

    def wizard(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "wizard.cli", *args], env=env, capture_output=True, text=True,
                              timeout=300, cwd=elsewhere)

    yield wizard, data, tmp_path_factory
    for name in ("sandbox-staging", "sandbox-production"):
        wizard("sandbox", "stop", name)


@pytest.fixture(scope="module")
def book(cli) -> Path:
    """A copy of the runbook folder, so a test may change its files."""
    _wizard, _data, factory = cli
    folder = factory.mktemp("book") / "billing"
    shutil.copytree(DATA, folder)
    return folder


def test_billing_runbook_monday_and_tuesday(cli, book):
    wizard, data, _ = cli
    runbook = book / "billing.toml"
    wizard("sandbox", "reset", "sandbox-staging")
    monday = wizard("run", "--headless", "--runbook", str(runbook), "--env", "sandbox-staging", "--day", "monday",
                    "--answers", str(book / "answers.toml"))
    assert monday.returncode == 0, monday.stdout + monday.stderr
    assert "Monday passed on sandbox-staging" in monday.stdout
    journal = data / "journals" / "billing-rehearsal.jsonl"
    assert journal.exists(), "a runbook of its own has a journal of its own"
    first = json.loads(journal.read_text().splitlines()[0])
    assert first["runbook_path"] == str(runbook.resolve()) and first["runbook_title"] == "Billing clean-up"

    # Without --runbook, the journal's own runbook is loaded: not the shipped Week 1.
    tuesday = wizard("run", "--headless", "--journal", str(journal), "--env", "sandbox-staging", "--day", "tuesday")
    assert tuesday.returncode == 0, tuesday.stdout + tuesday.stderr
    assert "Tuesday passed" in tuesday.stdout

    status = json.loads(wizard("status", "--json", "--runbook", str(runbook)).stdout)
    assert status["journal"] == str(journal) and status["runbook"]["title"] == "Billing clean-up"
    assert [t["task"] for t in status["run_tasks"]] == ["1.1", "1.2", "2.1"]
    assert {(d["day"], d["state"]) for d in status["days"]} == {("monday", "passed"), ("tuesday", "passed")}
    text = wizard("status", "--journal", str(journal))
    assert text.returncode == 0 and "Billing clean-up" in text.stdout and "2.1.apply" in text.stdout

    out = data / "docs"
    exported = wizard("export", "--runbook", str(runbook), "--out", str(out))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    log = next(out.glob("MIGRATION_LOG*.md")).read_text()
    assert "Apply the clean-up" in log and "Create the billing schema" in log

    from wizard.session.review import ReviewData

    review = ReviewData.open(journal).load()
    assert [d.id for d in review.runbook.days] == ["monday", "tuesday"]
    assert [t.id for t in review.runbook.tasks()] == ["1.1", "1.2", "2.1"]


async def _each_day(pilot, screen) -> list[tuple[str, list[str]]]:  # noqa: ANN001 - an overview or review
    """Each day's line in the day list with its tasks' titles in the table, as drawn (→ moves to the next day)."""
    from textual.widgets import DataTable, OptionList

    days = screen.query_one("#days", OptionList)
    table = screen.query_one("#tasks", DataTable)
    shown = []
    for _ in range(days.option_count):
        line = str(days.get_option_at_index(days.highlighted or 0).prompt)
        shown.append((line, [str(table.get_row_at(r)[2]) for r in range(table.row_count)]))
        await pilot.press("right")
        await pilot.pause()
    return shown


@pytest.fixture
def in_process(cli, monkeypatch, tmp_path):
    """This process set up as the CLI's (same data folder), its working directory somewhere else."""
    _wizard, data, _ = cli
    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(data))
    monkeypatch.setenv("MIGRATION_WIZARD_CONFIG", str(tmp_path / "config"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    journal = data / "journals" / "billing-rehearsal.jsonl"
    if not journal.exists():
        pytest.skip("needs the Monday run")
    return journal


async def _overview_of(journal: Path, check) -> None:  # noqa: ANN001
    """The TUI as `migration-wizard --journal J` opens it (wizard/cli/launch.py → run_app), minus the
    sandbox start: `check(pilot, app)` runs once the journal is open and the screen has settled."""
    from screens.app import WizardApp
    from tui_support import ready, settle
    from wizard.session import Session

    with Session.open("sandbox-staging", journal=journal) as session:
        app = WizardApp(session, prepare=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await settle(pilot)
            await check(pilot, app)


async def test_tui_and_review_show_the_billing_week_from_elsewhere(in_process):
    from screens.review import ReviewApp
    from tui_support import settle
    from wizard.runbook import load_runbook

    journal = in_process
    billing = load_runbook(DATA / "billing.toml")
    week1_titles = {t.title for t in load_runbook().tasks()}

    def same_week(shown: list[tuple[str, list[str]]]) -> None:
        assert [label.split()[1] for label, _ in shown] == ["Monday", "Tuesday"], shown
        assert [titles for _, titles in shown] == [[t.title for t in d.tasks] for d in billing.days], shown
        assert not week1_titles & {t for _, titles in shown for t in titles}

    async def overview(pilot, app) -> None:  # noqa: ANN001
        assert app.runbook.title == "Billing clean-up"
        shown = await _each_day(pilot, app.screen)
        same_week(shown)
        assert all(label.startswith("✓") for label, _ in shown), "both days passed, per the journal"
        assert not app.file_changes, "nothing changed since the run"

    await _overview_of(journal, overview)

    review = ReviewApp(journal)  # `migration-wizard review JOURNAL`: the runbook is the journal's own
    async with review.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        same_week(await _each_day(pilot, review.screen))


def test_a_journal_refuses_another_runbook(cli, book):
    wizard, data, _ = cli
    journal = data / "journals" / "billing-rehearsal.jsonl"
    if not journal.exists():
        pytest.skip("needs the Monday run")
    week1 = wizard("run", "--headless", "--journal", str(journal), "--env", "sandbox-staging", "--day", "monday",
                   "--runbook", str(Path(__file__).parents[1] / "wizard" / "runbook" / "week1.toml"))
    assert week1.returncode == 2 and "Traceback" not in week1.stderr
    assert "billing.toml" in week1.stderr and "week1.toml" in week1.stderr


def test_changed_runbook_and_migration_are_said(cli, book):
    wizard, data, _ = cli
    journal = data / "journals" / "billing-rehearsal.jsonl"
    if not journal.exists():
        pytest.skip("needs the Monday run")
    runbook = book / "billing.toml"
    runbook.write_text(runbook.read_text().replace('estimate_minutes = 15', 'estimate_minutes = 16'))
    (book / "sql" / "002_drop_legacy.sql").write_text((book / "sql" / "002_drop_legacy.sql").read_text() + "\n-- edited\n")
    status = wizard("status", "--journal", str(journal))
    assert "changed since this journal began" in status.stderr or "changed since the run" in status.stderr, status.stderr
    assert "file changed" in status.stdout
    data_json = json.loads(wizard("status", "--json", "--journal", str(journal)).stdout)
    assert any(s["step"] == "2.1.apply" and s["file_changed"] for s in data_json["steps"])


def test_task_verdict_is_the_tasks_own(cli, tmp_path):
    """`run --task` after another task of the day failed reports the task, never the day."""
    wizard, data, _ = cli
    book = tmp_path / "verdict.toml"
    book.write_text('''title = "Verdicts"
[facts]
[[days]]
id = "tuesday"
title = "T"
summary = "s"
[[days.tasks]]
id = "2.1"
title = "Fails"
estimate_minutes = 1
instructions = "i"
[[days.tasks.steps]]
id = "2.1.fails"
kind = "query"
title = "fails"
target = "staging"
sql = "select 1"
expect = ["scalar == 2"]
[[days.tasks]]
id = "2.2"
title = "Passes"
estimate_minutes = 1
instructions = "i"
[[days.tasks.steps]]
id = "2.2.passes"
kind = "query"
title = "passes"
target = "staging"
sql = "select 1"
expect = ["scalar == 1"]
''')
    day = wizard("run", "--headless", "--runbook", str(book), "--env", "sandbox-staging", "--day", "tuesday")
    assert day.returncode == 1 and "Stopped at task 2.1 (step 2.1.fails)" in day.stdout
    task = wizard("run", "--headless", "--runbook", str(book), "--env", "sandbox-staging", "--day", "tuesday", "--task", "2.2")
    assert task.returncode == 0 and "Task 2.2 passed" in task.stdout and "Tuesday passed" not in task.stdout
    status = json.loads(wizard("status", "--json", "--runbook", str(book)).stdout)
    assert [d["state"] for d in status["days"]] == ["stopped at 2.1"]
    assert any(p["tasks"] == ["2.2"] for p in status["passes"])


def test_a_moved_runbook_is_followed_by_its_content(tmp_path, monkeypatch):
    """The journal names the runbook by path and SHA-256: a moved copy with the same content is
    accepted (with a note), a missing one without --runbook is one clear refusal."""
    from wizard.errors import WizardError
    from wizard.session.journals import bind_runbook, open_journal

    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(tmp_path / "data"))
    first = tmp_path / "a" / "billing.toml"
    first.parent.mkdir()
    first.write_text((DATA / "billing.toml").read_text())
    journal_file = tmp_path / "j.jsonl"
    open_journal(journal_file, str(first), "Billing clean-up")
    assert bind_runbook(journal_file, None)[1] == ""
    moved = tmp_path / "b" / "renamed.toml"
    moved.parent.mkdir()
    first.rename(moved)
    with pytest.raises(WizardError) as refused:
        bind_runbook(journal_file, None)
    assert "no longer there" in refused.value.what and "--runbook" in refused.value.fix
    book, note = bind_runbook(journal_file, moved)
    assert book.title == "Billing clean-up" and "moved" in note and "same content" in note


async def test_tui_marks_the_tasks_whose_file_changed(cli, book, in_process):
    """After 002 was edited (the test above), the overview marks the tasks that passed with it,
    says they are re-checked on resume, and the task screen says which file and both SHA-256s."""
    from textual.widgets import DataTable, Static

    journal = in_process
    edited = book / "sql" / "002_drop_legacy.sql"
    if "-- edited" not in edited.read_text():
        pytest.skip("needs the edit of the test above")

    async def overview(pilot, app) -> None:  # noqa: ANN001
        assert set(app.file_changes) == {"1.2.read", "2.1.apply"}, app.file_changes
        shown = {}
        for _day in app.runbook.days:
            table = app.screen.query_one("#tasks", DataTable)
            shown.update({str(table.get_row_at(r)[1]): (str(table.get_row_at(r)[0]), str(table.get_row_at(r)[3]))
                          for r in range(table.row_count)})
            await pilot.press("right")
            await pilot.pause()
        assert shown == {"1.1": ("✓", "passed"), "1.2": ("Δ", "changed"), "2.1": ("Δ", "changed")}, shown
        standing = str(app.screen.query_one("#standing", Static).render())
        assert "Tasks 1.2, 2.1 have files that changed since they passed" in standing
        assert "re-checked on resume" in standing

        app.open_task("2.1")
        await pilot.pause()
        title = str(app.screen.query_one("#task-title", Static).render())
        assert "· changed" in title
        reason = next(line for line in title.splitlines() if "2.1.apply" in line)
        assert "002_drop_legacy.sql changed since it passed (sha256 " in reason and " then)" in reason
        assert str(book) not in reason, "the file's name, not its whole path"

    await _overview_of(journal, overview)
