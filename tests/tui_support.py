"""Shared by the TUI tests: wait for a condition, for the journal to open, and until a screen has
stopped changing before it is compared."""

from __future__ import annotations

import time
from typing import Any


def steady_cursors(app: Any) -> None:
    """A blinking cursor is drawn or not depending on when the picture is taken: keep it still."""
    from textual.widgets import Input, TextArea

    for screen in app.screen_stack:
        for widget in [*screen.query(Input), *screen.query(TextArea)]:
            widget.cursor_blink = False


async def settle(pilot: Any, rounds: int = 3, max_frames: int = 80, steady: int = 4) -> None:
    """Wait for the workers (journal open, replay) and the redraws they cause, then until the
    screen has not changed for `steady` frames in a row (0.2 s): a late layout pass (a scrollbar
    resized after a preview was measured), or the review's chain check answering from its own
    process, would otherwise make a snapshot depend on the machine's speed."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    steady_cursors(pilot.app)
    previous, same = None, 0
    for _ in range(max_frames):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
        current = pilot.app.export_screenshot()
        same = same + 1 if current == previous else 0
        if same >= steady:
            return
        previous = current


async def until(pilot: Any, condition: Any, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def ready(pilot: Any) -> None:
    """The app has opened its journal (a thread worker) without a problem."""
    await until(pilot, lambda: pilot.app.journal is not None or pilot.app.problem is not None, what="the journal")
    assert pilot.app.problem is None, pilot.app.problem
    await pilot.pause()


def make_app(env: Any, journal_path: Any, runbook: Any = None, *, rehearsal: bool = False, **kw: Any) -> Any:
    """A WizardApp on a session for `env` and `journal_path` (the shipped runbook unless given)."""
    from pathlib import Path

    from screens.app import WizardApp
    from wizard.runbook import load_runbook
    from wizard.session import Session

    session = Session(env, runbook or load_runbook(), Path(journal_path), rehearsal=rehearsal)
    return WizardApp(session, **kw)
