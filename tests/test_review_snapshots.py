"""Snapshot tests (pytest-textual-snapshot) of the offline review screens, on the fixed journal of a
real sandbox week (tests/golden/journal.jsonl) and on a tampered copy. The journal's times and
durations are recorded facts, so the screens are the same on every run.

Update after a deliberate change with `pytest tests/test_review_snapshots.py --snapshot-update`
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screens.review import ReviewApp
from screens.review_task import ReviewTaskScreen
from tui_support import settle

SIZE = (120, 40)
GOLDEN = Path(__file__).resolve().parent / "golden"
JOURNAL = GOLDEN / "journal.jsonl"


def review_app(path: Path = JOURNAL, shown: str = "tests/golden/journal.jsonl", **kw) -> ReviewApp:  # noqa: ANN003
    return ReviewApp(path, shown_path=shown, runbook_path=GOLDEN / "week1.toml", sql_dir=GOLDEN / "sql", **kw)


def test_review_week_overview(snap_compare):
    assert snap_compare(review_app(), terminal_size=SIZE, run_before=settle)


def test_review_week_tuesday(snap_compare):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("right", "down", "down", "down")
        await pilot.pause()

    assert snap_compare(review_app(), terminal_size=SIZE, run_before=run_before)


def _open_task(task_id: str, step: str | None = None, nth: int = 0):  # noqa: ANN202
    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        app = pilot.app
        app.push_screen(ReviewTaskScreen(app.data.context.runbook.task(task_id)))
        await pilot.pause()
        if step is not None:
            app.screen.show_run(step, nth)
        await settle(pilot)

    return run_before


def test_review_task_migration_012(snap_compare):
    assert snap_compare(review_app(), terminal_size=SIZE, run_before=_open_task("2.4"))


def test_review_task_failed_run_then_fixed(snap_compare):
    """2.1 was first run before Monday: the error run is listed above the run that passed."""
    assert snap_compare(review_app(), terminal_size=SIZE, run_before=_open_task("2.1", "2.1.check_011", 0))


def test_review_task_final_verification(snap_compare):
    assert snap_compare(review_app(), terminal_size=SIZE, run_before=_open_task("5.4"))


def test_review_events(snap_compare):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("l", "end", "up", "up", "enter")
        await pilot.pause()

    assert snap_compare(review_app(), terminal_size=SIZE, run_before=run_before)


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    lines = JOURNAL.read_bytes().split(b"\n")
    lines[20] = lines[20].replace(b'"mono":', b'"mono":9', 1)  # one byte more in event 20
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"\n".join(lines))
    return path


def test_review_integrity_broken(snap_compare, tampered: Path):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()

    assert snap_compare(review_app(tampered, "tampered/journal.jsonl"), terminal_size=SIZE, run_before=run_before)


class NotLoadedYet(ReviewApp):
    """The first frame of a large journal: banner, index and tabs, before the replay finishes."""

    def load(self) -> None:  # type: ignore[override]
        self.data.index.refresh()  # stage 1 (the line index) done, as the load worker does it first
        self._set_progress("Reading 100,000 events… 40%")


def test_review_first_screen_while_reading(snap_compare):
    app = NotLoadedYet(JOURNAL, shown_path="tests/golden/journal.jsonl", runbook_path=GOLDEN / "week1.toml")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)
