"""A running step shown live (issue 14, item 4): the monitor's bar follows its real watch on a
sandbox cluster, a service's output lines show (redacted) before the step ends, and a burst of
progress messages is handled as one without losing a line. The snapshots drive fixed progress
messages into the screen, so they never depend on timing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.widgets import Log, ProgressBar

from screens.app import WizardApp
from screens.task import TaskScreen
from screens.widgets.live import LivePanel, LiveStep, merged
from tui_fixtures import demo_environment, stable_display, tiny_runbook
from tui_support import make_app, ready, settle, until
from wizard.journal import replay
from wizard.results import StepProgress
from wizard.runbook import load_runbook
from wizard.runbook.model import Step

SIZE = (120, 40)


def panel_of(app: WizardApp) -> LivePanel | None:
    found = app.screen.query(LivePanel) if isinstance(app.screen, TaskScreen) else []
    return found[0] if found else None


async def run_only_step(pilot, app: WizardApp) -> None:  # noqa: ANN001
    await ready(pilot)
    app.open_task("9.1")
    await pilot.pause()
    await pilot.press("s")
    await until(pilot, lambda: app.running is not None, what="the step to start", timeout=20)


async def test_the_monitor_bar_follows_the_watch(env, tmp_path):
    step = Step("9.1.watch", "monitor", "Watch the server log", "any",
                {"source": "database_log", "duration_s": 3, "sample_every_s": 0.5})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]))
    seen: list[float] = []
    texts: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await run_only_step(pilot, app)

        def bar_moved() -> bool:
            panel = panel_of(app)
            if panel is None or not panel.is_mounted:
                return False
            bars = panel.query(ProgressBar)  # polled while the panel may still be composing its children
            if not bars:
                return False
            bar = bars.first()
            if bar.display and bar.progress and bar.progress not in seen:
                seen.append(bar.progress)
                texts.extend(str(t.render()) for t in panel.query(".sv-live-text"))
            return len(seen) >= 2 and app.running is not None

        await until(pilot, bar_moved, what="the bar to move while the step runs", timeout=10)
        assert 0 < seen[0] < seen[-1] < 100, seen
        text = texts[-1]  # read while the bar moved: the step may have ended since
        assert "s left" in text and "blocked max" in text
        await until(pilot, lambda: not app.run_active, what="the run to end", timeout=20)
        await settle(pilot)
        assert panel_of(app) is None  # the result replaced it
        assert app.screen.query(".sv-label")
    result = replay(app.journal.events).latest("9.1.watch", env.name)
    assert result.ok and result.data["samples"] >= 2, result


# A service that talks for a while before it answers: its lines must show while the step waits.
# No braces in it: the wizard expands placeholders in a service's argv.
CHATTY = """
import http.server, sys, time
for i in range(12):
    print("booting part %d" % i, flush=True)
    time.sleep(0.05)
print("connecting to postgresql://app:s3cr3t-pw@db.internal/app", flush=True)
time.sleep(2.5)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


async def test_a_service_shows_its_output_before_it_is_ready(env, tmp_path):
    step = Step("9.1.backend", "service", "Start a chatty backend", "any",
                {"argv": [sys.executable, "-c", CHATTY, "{port}"], "cwd": str(tmp_path), "wait_for": "/",
                 "database_env": "", "jwt_env": ""})
    app = make_app(env, journal_path=tmp_path / "journal.jsonl", runbook=tiny_runbook(tmp_path, [step]))
    async with app.run_test(size=SIZE) as pilot:
        await run_only_step(pilot, app)

        def log_lines() -> list[str]:
            panel = panel_of(app)
            if panel is None or not panel.is_mounted:
                return []
            return list(panel.query_one(Log).lines)

        await until(pilot, lambda: any("connecting" in line for line in log_lines()), what="output while it starts",
                    timeout=10)
        assert app.running is not None  # still waiting for the service to answer
        lines = log_lines()
        assert len(lines) <= 8 and lines[-2:-1] == ["booting part 11"], lines
        assert "s3cr3t-pw" not in "\n".join(lines) and "••••••" in lines[-1]
        assert "waiting for GET /" in str(panel_of(app).query_one(".sv-live-text").render())
        assert not panel_of(app).query_one(ProgressBar).display  # no bar: a start has no fraction
        await until(pilot, lambda: not app.run_active, what="the run to end", timeout=20)
        await settle(pilot)
        assert panel_of(app) is None
    assert replay(app.journal.events).latest("9.1.backend", env.name).ok


def test_a_burst_of_progress_messages_merges_without_losing_lines():
    step = Step("9.1.x", "service", "x", "any", {})
    older = WizardApp.StepProgressed(None, step, StepProgress(0.2, "a", ("1", "2")))
    newer = WizardApp.StepProgressed(None, step, StepProgress(lines=("3",)))
    assert older.can_replace(newer)
    assert newer.update == StepProgress(0.2, "a", ("1", "2", "3"))
    other = WizardApp.StepProgressed(None, Step("9.1.y", "service", "y", "any", {}), StepProgress(0.5))
    assert not newer.can_replace(other)  # another step's report is never merged into this one
    live = LiveStep("9.1.x")
    live.apply(merged(StepProgress(lines=tuple(map(str, range(10)))), StepProgress(1.5, "done")))
    assert live.fraction == 1.0 and list(live.lines) == [str(i) for i in range(2, 10)] and live.lines_seen == 8


# --- snapshots: fixed progress driven into the screen -----------------------------------------------

@pytest.fixture(scope="module")
def runbook():
    return load_runbook()


def running(runbook, task_id: str, step_id: str, *updates: StepProgress):  # noqa: ANN001, ANN201
    async def run_before(pilot):  # noqa: ANN001
        app = pilot.app
        await settle(pilot)
        app.open_task(task_id)
        await settle(pilot)
        task = runbook.task(task_id)
        step = runbook.step(step_id)
        app.post_message(WizardApp.StepStarted(task, step))
        await settle(pilot)
        for update in updates:
            app.post_message(WizardApp.StepProgressed(task, step, update))
        await settle(pilot)
    return run_before


def snapshot_app(tmp_path: Path, runbook):  # noqa: ANN001, ANN201
    return make_app(demo_environment("sandbox"), journal_path=tmp_path / "journal.jsonl", runbook=runbook,
                    prepare=False, fmt=stable_display((str(tmp_path), "<tmp>")))


def test_snapshot_running_monitor_bar(snap_compare, tmp_path, runbook):
    updates = [StepProgress(0.1, "108 s left · 12 lines · 0 matches · blocked max 0"),
               StepProgress(0.4, "72 s left · 57 lines · 0 matches · blocked max 0",
                            ("2026-11-26 09:14:02 UTC [311] LOG:  checkpoint starting: time",
                             "2026-11-26 09:14:05 UTC [311] LOG:  checkpoint complete: wrote 12 buffers"))]
    assert snap_compare(snapshot_app(tmp_path, runbook), terminal_size=SIZE,
                        run_before=running(runbook, "4.6", "4.6.monitor", *updates))


def test_snapshot_live_service_log(snap_compare, tmp_path, runbook):
    lines = tuple(f"INFO:     boot step {i} of 10" for i in range(1, 11)) + (
        "INFO:     connecting to postgresql://app:••••••@db.internal/app",
        "INFO:     Waiting for application startup.")
    updates = [StepProgress(None, "waiting for GET /health · 0.8 s of 10 s", lines[:6]),
               StepProgress(None, "waiting for GET /health · 1.3 s of 10 s", lines[6:])]
    assert snap_compare(snapshot_app(tmp_path, runbook), terminal_size=SIZE,
                        run_before=running(runbook, "3.2", "3.2.start_backend", *updates))
