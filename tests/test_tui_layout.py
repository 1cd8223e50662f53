"""Snapshot tests of the layout at the two sizes that matter: 120x40 and the smallest, 80x24.
Nothing cut that has room, footers that fit, signs when a table scrolls sideways."""

from __future__ import annotations

import pytest

from tui_fixtures import demo_environment, monday_results, stable_display, write_journal
from tui_support import make_app, settle
from wizard.runbook import load_runbook


@pytest.fixture(scope="module")
def runbook():
    return load_runbook()


def monday_app(tmp_path, runbook):  # noqa: ANN001, ANN201
    env = demo_environment("sandbox")
    path = write_journal(tmp_path / "journal.jsonl", runbook, env, [("monday", monday_results(runbook), True)])
    return make_app(env, journal_path=path, runbook=runbook, prepare=False, fmt=stable_display((str(tmp_path), "<tmp>")))


def test_overview_at_80x24(snap_compare, tmp_path, runbook):
    """Full task titles, the table's '→ more columns', and several lines of Now."""
    assert snap_compare(monday_app(tmp_path, runbook), terminal_size=(80, 24), run_before=settle)


def test_task_screen_footer_at_120x40(snap_compare, tmp_path, runbook):
    """The footer shows every key it lists, Export and Quit included (n, p, w, e are in F1)."""
    async def open_task(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task("1.7")
        await settle(pilot)

    assert snap_compare(monday_app(tmp_path, runbook), terminal_size=(120, 40), run_before=open_task)


def test_task_screen_at_80x24(snap_compare, tmp_path, runbook):
    async def open_task(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task("1.6")
        await settle(pilot)

    assert snap_compare(monday_app(tmp_path, runbook), terminal_size=(80, 24), run_before=open_task)
