"""Snapshot tests of what each step kind measured, as the task screen shows it: the load test's
figures and histogram, an HTTP answer's body (secrets masked), the monitor's findings, and
verdicts said in words with their values in small tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_fixtures import demo_environment, stable_display, write_journal
from tui_support import make_app, settle
from wizard.results import FAILED, PASSED, Check, StepResult
from wizard.runbook import load_runbook

SIZE = (120, 40)
CORE = {"moves": 15, "cohorts": 8, "campaigns": 5, "assets": 42}
SHA = "371a85dd" + "0123456789abcdef" * 3 + "01234567"


@pytest.fixture(scope="module")
def runbook():
    return load_runbook()


def step_of(runbook, step_id: str):  # noqa: ANN001, ANN201
    return next(s for t in runbook.tasks() for s in t.steps if s.id == step_id)


def result(runbook, step_id: str, data: dict, evidence: list[str], status: str = PASSED, oks=None) -> StepResult:  # noqa: ANN001
    step = step_of(runbook, step_id)
    oks = oks or [True] * len(step.expect)
    checks = [Check(e.check, e.describe, ok, ev) for e, ev, ok in zip(step.expect, evidence, oks)]
    return StepResult(step.id, step.kind, status, data=data, checks=checks, duration_s=0.25)


def app_with(tmp_path: Path, runbook, day: str, results: list[StepResult], kind: str = "sandbox"):  # noqa: ANN001, ANN201
    env = demo_environment(kind)
    path = write_journal(tmp_path / "journal.jsonl", runbook, env, [(day, results, None)])
    return make_app(env, journal_path=path, runbook=runbook, prepare=False, fmt=stable_display((str(tmp_path), "<tmp>")))


def opened(task_id: str, step_id: str, scroll_to: str | None = None):  # noqa: ANN201
    async def run_before(pilot):  # noqa: ANN001
        await settle(pilot)
        pilot.app.open_task(task_id)
        await settle(pilot)
        pilot.app.screen.show_step(step_id)
        await settle(pilot)
        if scroll_to:
            view = pilot.app.screen.query_one("#step-view")
            view.scroll_to_widget(view.query_one(scroll_to), animate=False, top=True)
            await settle(pilot)
    return run_before


LOAD = {"url": "http://127.0.0.1:8123/api/v1/campaigns", "method": "GET", "requests": 100, "concurrency": 10,
        "completed": 100, "failed": 0, "non_2xx": 0, "status_counts": {"200": 100}, "requests_per_s": 811.4,
        "total_s": 0.123, "mean_ms": 11.8, "min_ms": 3.1, "p50_ms": 10.2, "p95_ms": 21.7, "p99_ms": 27.9,
        "max_ms": 29.4, "errors": [],
        "histogram": [{"upper_ms": 5, "count": 6}, {"upper_ms": 10, "count": 42}, {"upper_ms": 20, "count": 40},
                      {"upper_ms": 50, "count": 12}]}


def test_load_figures_and_histogram(snap_compare, tmp_path, runbook):
    res = result(runbook, "5.3.load_test", LOAD, ["811.4 > 10", "0 == 0", "0 == 0", "11.8 < 500"])
    app = app_with(tmp_path, runbook, "friday", [res], kind="sandbox-production")
    assert snap_compare(app, terminal_size=SIZE, run_before=opened("5.3", "5.3.load_test", ".sv-histogram"))


def test_http_body_pretty_and_masked(snap_compare, tmp_path, runbook):
    data = {"method": "POST", "url": "http://127.0.0.1:8123/api/v1/campaigns", "status": 201, "reason": "Created",
            "elapsed_ms": 14.2, "request_json": {"name": "Test Campaign", "objective": "Week 1 final validation"},
            "json": {"id": "6f1c2d9e-1b7a-4d7e-9a51-0c3e8f2b4a11", "name": "Test Campaign",
                     "objective": "Week 1 final validation", "api_token": "tok-should-never-show",
                     "owner": {"id": 7, "password": "hunter22"}},
            "headers": {"content-type": "application/json"}}
    res = result(runbook, "5.2.create_campaign", data, ["201 == 201", "'Test Campaign' == 'Test Campaign'"])
    app = app_with(tmp_path, runbook, "friday", [res], kind="sandbox-production")
    assert snap_compare(app, terminal_size=SIZE, run_before=opened("5.2", "5.2.create_campaign", ".sv-blocks"))


def test_monitor_findings(snap_compare, tmp_path, runbook):
    data = {"source": "database log of sandbox-production", "duration_s": 5, "elapsed_s": 5.0,
            "patterns": ["ERROR", "connection failed", "deadlock detected"], "lines_seen": 214, "lines_lost": 0,
            "counts": {"ERROR": 2, "connection failed": 0, "deadlock detected": 0}, "match_count": 2,
            "matches": [{"pattern": "ERROR", "line": "2026-11-26 10:02:11 UTC [4121] ERROR:  relation \"quests\" does not exist"},
                        {"pattern": "ERROR", "line": "2026-11-26 10:02:12 UTC [4121] ERROR:  current transaction is aborted"}],
            "blocked_max": 0, "blocked_examples": [], "waiting_locks_max": 0, "deadlocks": 0, "samples": 5,
            "sample_errors": [], "database": "postgres"}
    res = result(runbook, "4.6.monitor", data, ["2 == 0", "0 == 0", "0 == 0", "0 == 0"], status=FAILED,
                 oks=[False, True, True, True])
    app = app_with(tmp_path, runbook, "thursday", [res], kind="sandbox-production")
    assert snap_compare(app, terminal_size=SIZE, run_before=opened("4.6", "4.6.monitor", ".sv-label"))


def test_verdicts_in_words(snap_compare, tmp_path, runbook):
    """A hash compared with itself, Monday's core row counts as a small table, not Python reprs."""
    moved = dict(CORE, moves=14)
    evidence = [f"{SHA!r} == {SHA!r}", "True", f"{CORE!r} == {CORE!r}", "0 == 0", "0 == 0", f"{moved!r} == {CORE!r}"]
    data = {"file": "<repo>/sql/migrations/011_fix_migration_conflicts.sql", "sha256": SHA, "statements": 12,
            "before": {"table_count": 52, "core_counts": CORE}, "after": {"table_count": 52, "core_counts": moved},
            "tables_removed": [], "tables_added": []}
    res = result(runbook, "2.2.apply_011", data, evidence, status=FAILED, oks=[True] * 5 + [False])
    app = app_with(tmp_path, runbook, "tuesday", [res])
    assert snap_compare(app, terminal_size=SIZE, run_before=opened("2.2", "2.2.apply_011", ".sv-checks"))
