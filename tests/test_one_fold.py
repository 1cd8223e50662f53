"""One read model of the journal: the live view-model, `status --json`, the offline review and the
exported documents give every task the same state, on a week run for real on the sandbox with a
failed step, a cancelled step, an interrupted-then-resumed step and failed/cancelled optional steps."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from screens import model
from wizard.session.review import ReviewData
from wizard.session import AnswersDialogue
from wizard.engine import Engine
from wizard.environments import sandbox_environment
from wizard.exports import render_all
from wizard.journal import Journal, read_events, replay
from wizard.journal.fold import (ATTESTED, CANCELLED, FAILED, INTERRUPTED, NOT_STARTED, OPTIONAL_FAILED, PARTLY_DONE,
                                 PASSED, SKIPPED)
from wizard.runbook import load_runbook

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = ROOT / "tests" / "data" / "one_fold_runbook.toml"
GOLDEN = ROOT / "tests" / "golden"
ENV = "sandbox-staging"
CLI = Path(sys.executable).with_name("migration-wizard")


def _documented(text: str) -> str:
    """A task status as the documents word it, back to the fold's state."""
    text = text.strip()
    if text.startswith("passed (optional step"):
        return OPTIONAL_FAILED
    if text.startswith("not run yet"):
        return NOT_STARTED
    if text.startswith("partly run"):
        return PARTLY_DONE
    return text


def _same(state: str) -> str:
    """The documents call an attested or skipped task passed."""
    return PASSED if state in (ATTESTED, SKIPPED) else state


def _status_json(journal: Path) -> dict:
    out = subprocess.run([str(CLI), "status", "--json", "--journal", str(journal)], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def _report_states(docs: dict[str, str]) -> dict[str, str]:
    """Task id -> state, from the final report's per-task time table."""
    states = {}
    for line in docs["MIGRATION_WEEK1_FINAL_REPORT.md"].splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 9 and re.match(r"^\d+\.\d+ ", cells[1]):
            states[cells[1].split()[0]] = _documented(cells[8].split(" ", 1)[1])
    return states


def _log_states(docs: dict[str, str]) -> dict[str, str]:
    """Task id -> state, from the migration log's task blocks ("- Verdict: …" or "- Not run yet …")."""
    states, task = {}, None
    for line in docs["MIGRATION_LOG_WEEK1.md"].splitlines():
        heading = re.match(r"^### \S+ Task (\d+\.\d+) ", line)
        if heading:
            task = heading.group(1)
        elif task and line.startswith("- Verdict: "):
            states[task], task = _documented(line.removeprefix("- Verdict: ")), None
        elif task and line.startswith("- Not run yet"):
            states[task], task = NOT_STARTED, None
    return states


def four_views(journal: Path, runbook_path: Path | None = None) -> dict[str, dict[str, str]]:
    """Every task's state as each view shows it (single-environment journals for the live view)."""
    runbook = load_runbook(runbook_path or RUNBOOK)
    fold = replay(read_events(journal).events)
    status = _status_json(journal)
    review = ReviewData.open(journal, runbook_path=runbook_path).load()
    docs = render_all(journal, runbook_path=runbook_path)
    return {
        "live": {t.id: _same(model.task_state(fold, ENV, t)) for t in runbook.tasks()},
        "status": {row["task"]: _same(row["state"]) for row in status["tasks"] if row["env"] == ENV},
        "review": {t.id: _same(review.task_time(t).state) for t in runbook.tasks()},
        "report": _report_states(docs),
        "log": _log_states(docs),
    }


def _assert_agree(views: dict[str, dict[str, str]], expected: dict[str, str]) -> None:
    for name, states in views.items():
        assert states == expected, f"the {name} view disagrees"


def _run_cli(journal: Path, day: str, **env: str) -> subprocess.Popen:
    argv = [str(CLI), "run", "--headless", "--env", ENV, "--day", day, "--runbook", str(RUNBOOK), "--journal", str(journal)]
    return subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(journal: Path, step: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while not any(e.get("type") == "sql" and e.get("step") == step for e in read_events(journal).events):
        assert time.monotonic() < deadline, f"{step} never sent its SQL"
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "the wizard exited"
        time.sleep(0.05)


async def _run_cancelling(journal: Path, day: str, step_id: str) -> None:
    """Run a day in-process and cancel `step_id` on the server once it has started (as Ctrl+K does)."""
    runbook = load_runbook(RUNBOOK)
    engine = Engine(runbook, sandbox_environment(ENV), Journal(journal), ask=AnswersDialogue({}).ask)
    loop = asyncio.get_running_loop()

    def cancel_when_started(event: dict) -> None:
        if event.get("type") == "sql" and event.get("step") == step_id:
            loop.call_later(0.3, engine.cancel)

    engine.journal.listeners.append(cancel_when_started)
    await engine.run_day(day)


async def test_every_view_gives_every_task_the_same_state(clusters, tmp_path: Path):
    journal = tmp_path / "journal.jsonl"
    # Monday, first session: killed while 1.1 sleeps.
    proc = _run_cli(journal, "monday", PGOPTIONS="-c wizard.slow=on")
    try:
        _wait_for(journal, "1.1.sleep", proc)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    interrupted = {"1.1": INTERRUPTED, "1.2": NOT_STARTED, "1.3": NOT_STARTED, "1.4": NOT_STARTED,
                   "2.1": NOT_STARTED, "2.2": NOT_STARTED, "3.1": NOT_STARTED, "3.2": NOT_STARTED}
    _assert_agree(four_views(journal), interrupted)

    # Monday, second session: resumes 1.1, fails 1.2's optional step, stops at 1.3.
    rerun = _run_cli(journal, "monday")
    assert rerun.wait(120) == 1, rerun.stdout.read() if rerun.stdout else ""
    # Tuesday: 2.1 cancelled on the server; Wednesday: 3.1's optional step cancelled, the day goes on.
    await _run_cancelling(journal, "tuesday", "2.1.sleep")
    await _run_cancelling(journal, "wednesday", "3.1.optional_sleep")

    events = read_events(journal).events
    assert any(e["type"] == "step_interrupted" and e["step"] == "1.1.sleep" for e in events)
    finished = {e["step"]: e["result"]["status"] for e in events if e["type"] == "step_finished"}
    assert finished["1.2.optional"] == FAILED and finished["2.1.sleep"] == CANCELLED
    assert finished["3.1.optional_sleep"] == CANCELLED and finished["3.2.passes"] == PASSED

    expected = {"1.1": PASSED, "1.2": OPTIONAL_FAILED, "1.3": FAILED, "1.4": NOT_STARTED,
                "2.1": CANCELLED, "2.2": NOT_STARTED, "3.1": OPTIONAL_FAILED, "3.2": PASSED}
    _assert_agree(four_views(journal), expected)

    # The days: the live overview and the final report from the same decision.
    runbook = load_runbook(RUNBOOK)
    fold = replay(events)
    days = {d.id: model.day_summary(fold, ENV, "staging", d) for d in runbook.days}
    assert [(s.done, s.total, s.verdict) for s in days.values()] == [(2, 4, "stopped at 1.3"), (0, 2, "stopped at 2.1"),
                                                                      (2, 2, PASSED)]
    report = render_all(journal)["MIGRATION_WEEK1_FINAL_REPORT.md"]
    day_rows = {line.split("|")[1].strip(): line.split("|")[5].strip() for line in report.splitlines()
                if line.startswith("| ") and line.split("|")[1].strip() in ("Monday", "Tuesday", "Wednesday")
                and len(line.split("|")) == 7}
    assert day_rows == {"Monday": "stopped", "Tuesday": "stopped", "Wednesday": PASSED}


def test_golden_journal_status_review_and_report_agree():
    journal = GOLDEN / "journal.jsonl"
    runbook_path = GOLDEN / "week1.toml"
    runbook = load_runbook(runbook_path)
    status = {row["task"]: _same(row["state"]) for row in _status_json(journal)["run_tasks"]}
    review = ReviewData.open(journal, runbook_path=runbook_path).load()
    docs = render_all(journal, runbook_path=runbook_path, sql_dir=GOLDEN / "sql", week2_path=GOLDEN / "week2.toml")
    review_states = {t.id: _same(review.task_time(t).state) for t in runbook.tasks()}
    assert status == review_states == _report_states(docs) == _log_states(docs)
    assert status["4.3"] == OPTIONAL_FAILED  # its optional supabase dry run erred on production
