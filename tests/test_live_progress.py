"""The one path of a running step's live progress, without a screen: Session.run(on_progress=)
hears the monitor's fraction and the lines it reads, redacted, while it runs; the CLI prints it
as one rewritten line only on a terminal."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path

from rich.console import Console

from tui_fixtures import demo_environment, tiny_runbook
from wizard.cli.console import ProgressLine
from wizard.redact import register_secret
from wizard.results import StepProgress
from wizard.runbook.model import Step
from wizard.session import AnswersDialogue, Session

SECRET = "pw-live-0f9e8d"


def test_session_run_reports_the_monitor_live(data_dir, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("")
    register_secret(SECRET)
    step = Step("9.1.watch", "monitor", "Watch the app log", "any",
                {"file": str(log), "duration_s": 1.5, "sample_db": False})
    session = Session(demo_environment("sandbox"), tiny_runbook(tmp_path, [step]), tmp_path / "journal.jsonl")
    heard: list[tuple[float, StepProgress]] = []
    finished: list[float] = []

    def writer() -> None:
        for i in range(5):
            time.sleep(0.2)
            with log.open("a") as handle:
                handle.write(f"INFO request {i} with password={SECRET}\n")

    with session:
        session.prepare(prepare_env=False)
        thread = threading.Thread(target=writer)
        thread.start()
        outcome = asyncio.run(session.run(
            "monday", dialogue=AnswersDialogue({}),
            on_progress=lambda task, s, update: heard.append((time.monotonic(), update)),
            on_result=lambda task, s, result: finished.append(time.monotonic())))
        thread.join()
    assert outcome.ok, outcome.results
    fractions = [u.fraction for _, u in heard if u.fraction is not None]
    assert fractions[-1] == 1.0 and any(0 < f < 1 for f in fractions)
    assert fractions == sorted(fractions)  # it only goes forward
    assert all(at <= finished[0] for at, _ in heard)  # all of it heard before the result
    lines = [line for _, u in heard for line in u.lines]
    assert [line.split(" with")[0] for line in lines] == [f"INFO request {i}" for i in range(5)]  # each line once
    assert not any(SECRET in line for line in lines) and all("••••••" in line for line in lines)
    assert len(fractions) <= 4 * 1.5 + 3  # about four a second, not a report per line read


def test_the_cli_progress_line_only_on_a_terminal():
    step = Step("4.6.monitor", "monitor", "watch", "any", {})
    plain = io.StringIO()
    ProgressLine(Console(file=plain, width=80))(None, step, StepProgress(0.5, "10 s left"))
    assert plain.getvalue() == ""  # headless logs stay the same from run to run
    tty = io.StringIO()
    line = ProgressLine(Console(file=tty, width=80, force_terminal=True, color_system=None))
    line(None, step, StepProgress(0.5, "10 s left"))
    line(None, step, StepProgress(lines=("INFO ready",)))
    line.clear()
    shown = tty.getvalue().split("\r")
    assert shown[0].startswith("… 4.6.monitor") and "50% 10 s left" in shown[0]
    assert "50% 10 s left │ INFO ready" in shown[1]
    assert shown[2] == " " * 79 and all(len(part) == 79 for part in shown[:3])  # each one covers the last
