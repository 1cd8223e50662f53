"""Pilot tests of `migration-wizard review`: a saved journal, no database, nothing can be run."""

from __future__ import annotations

import io

import importlib.util
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from screens.review import ReviewApp, ReviewScreen
from screens.review_events import EventLog
from screens.review_task import ReviewTaskScreen
from screens.widgets.banner import Banner
from wizard import cli
from tui_support import settle

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
JOURNAL = GOLDEN / "journal.jsonl"
SIZE = (120, 40)


def review_app(path: Path = JOURNAL, **kw) -> ReviewApp:  # noqa: ANN003
    return ReviewApp(path, shown_path=path.name, runbook_path=GOLDEN / "week1.toml", sql_dir=GOLDEN / "sql", **kw)


def text_of(widget) -> str:  # noqa: ANN001
    from rich.console import Console, Group

    rendered = widget.render()
    content = getattr(widget, "content", None)
    if isinstance(content, Group):  # the verdicts: words, with small tables of values
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(content)
        return console.export_text()
    return str(rendered)


def all_action_names(app: ReviewApp) -> set[str]:
    names = {b.action for b in app.BINDINGS}
    for screen in app.screen_stack:
        names |= {b.action for b in screen.BINDINGS}
        for widget in screen.query("*"):
            names |= {getattr(b, "action", "") for b in getattr(widget, "BINDINGS", [])}
    return names


async def test_review_opens_offline_and_navigates(tmp_path: Path):
    app = review_app(export_dir=tmp_path / "docs")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one(Banner)
        assert banner.has_class("env-offline") and not banner.has_class("env-production")
        assert "OFFLINE REVIEW [OFFLINE]" in text_of(banner) and "nothing can be run" in text_of(banner)
        assert "hash chain intact (162 events)" in text_of(banner)
        # Nothing can be run: no run binding anywhere, no engine, and the run keys do nothing.
        assert not [name for name in all_action_names(app) if "run" in name]
        assert not hasattr(app, "engine") and not hasattr(app, "start_run")
        depth = len(app.screen_stack)
        await pilot.press("r", "s", "t")
        assert len(app.screen_stack) == depth and isinstance(app.screen, ReviewScreen)

        # The week: Tuesday, task 2.4, its run of 012 with the measured 52 -> 43.
        await pilot.press("right")
        assert "Tuesday" in text_of(app.screen.query_one("#day-title", Static))
        await pilot.press("down", "down", "down")
        assert app.screen.query_one("#tasks", DataTable).cursor_row == 3
        assert "2.4.apply_012" in text_of(app.screen.query_one("#review-detail", Static))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewTaskScreen) and app.screen.the_task.id == "2.4"
        texts = " ".join(text_of(w) for w in app.screen.query("#step-view Static"))
        assert "removed 9: capability_nodes, cohort_relations" in texts
        assert "table count after 012 = tables before 012 minus the tables 012 drops" in texts
        assert "measured 43, as expected" in texts
        preview = app.screen.query_one("#step-view TextArea")
        assert "DROP TABLE" in preview.text  # the SQL as the journal recorded it
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.the_task.id == "2.5"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)

        # The events: the last one, in full.
        await pilot.press("l", "end")
        log = app.screen.query_one(EventLog)
        assert log.cursor == 161
        await pilot.press("enter")
        await pilot.pause()
        assert '"type": "day_finished"' in text_of(app.screen.query_one("#event-detail", Static))

        # The integrity tab.
        await pilot.press("i")
        await pilot.pause()
        assert "Hash chain: INTACT" in text_of(app.screen.query_one("#integrity", Static))

        # The documents, written from the journal (the only thing review writes).
        await pilot.press("x")
        await settle(pilot)
        assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted([
            "MIGRATION_LOG_WEEK1.md", "VERIFICATION_RESULTS_FINAL.txt", "MIGRATION_WEEK1_FINAL_REPORT.md",
            "WEEK_2_DAILY_CHECKLIST.md", "TEAM_UPDATE.txt"])


async def test_a_failed_run_and_its_fix_are_both_shown():
    app = review_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ReviewTaskScreen(app.data.context.runbook.task("2.1")))
        await settle(pilot)
        entries = [(step.id, attempt.status if attempt else None) for step, attempt in app.screen.entries]
        assert entries == [("2.1.check_011", "error"), ("2.1.check_011", "passed"), ("2.1.check_012", "passed")]
        texts = " ".join(text_of(w) for w in app.screen.query("#step-view Static"))
        assert "needs 'm011_plan'" in texts


async def test_a_tampered_journal_shows_where_it_breaks(tmp_path: Path):
    lines = JOURNAL.read_bytes().split(b"\n")
    lines[20] = lines[20].replace(b'"mono":', b'"mono":9', 1)
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"\n".join(lines))
    app = review_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "HASH CHAIN BROKEN at line 21" in text_of(app.screen.query_one(Banner))
        assert app.screen.query_one(EventLog).problems == {20: "edited"}
        await pilot.press("i")
        await pilot.pause()
        assert "event 20 (line 21) was edited" in text_of(app.screen.query_one("#integrity", Static))


def _bench():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("bench_review", ROOT / "benchmarks" / "bench_review.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


async def test_a_large_journal_paints_before_it_is_read(tmp_path: Path):
    path = _bench().generate_journal(tmp_path / "big.jsonl", 20_000)
    started = time.perf_counter()
    app = ReviewApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.first_paint_at is not None and app.first_paint_at - started < 3.0
        await pilot.press("l", "end")
        log = app.screen.query_one(EventLog)
        assert log.cursor == 19_999  # the log works from the index, before the replay is done
        await settle(pilot)
        assert app.data.context is not None and app.data.verification is not None
        assert app.data.verification.intact and app.data.verification.count == 20_000
        assert "hash chain intact (20,000 events)" in text_of(app.screen.query_one(Banner))


def test_cli_review_of_a_missing_journal_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code = cli.main(["review", str(tmp_path / "nope.jsonl")])
    assert code != 0 and "No journal at" in capsys.readouterr().err
