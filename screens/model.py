"""How the screens mark each state: a mark and a colour, the word always shown too (so colour is
never alone). The states and the view data come from the session layer (wizard.session.views)."""

from __future__ import annotations

from wizard.session.views import (ATTESTED, CANCELLED, CHANGED, ERROR, FAILED, INTERRUPTED, NOT_STARTED,
                                  OPTIONAL_FAILED, PARTLY_DONE, PASSED, RUNNING, SKIPPED, STOPPED, DaySummary, FileChange,
                                  changed_note, day_summary, latest_step, shown_state, standing, step_result, step_state,
                                  task_seconds, task_state)

__all__ = ["ATTESTED", "CANCELLED", "CHANGED", "ERROR", "FAILED", "INTERRUPTED", "MARKS", "NOT_STARTED",
           "OPTIONAL_FAILED", "PARTLY_DONE", "PASSED", "RUNNING", "SKIPPED", "STOPPED", "STYLES", "DaySummary",
           "FileChange", "changed_note", "css_state", "day_summary", "latest_step", "shown_state", "standing",
           "step_result", "step_state", "task_seconds", "task_state"]

MARKS = {
    NOT_STARTED: "·",
    RUNNING: "▶",
    PASSED: "✓",
    ATTESTED: "✓",
    SKIPPED: "-",
    FAILED: "✗",
    ERROR: "!",
    CANCELLED: "■",
    INTERRUPTED: "?",
    PARTLY_DONE: "◐",
    OPTIONAL_FAILED: "✓",
    CHANGED: "Δ",
}

STYLES = {
    PASSED: "green", ATTESTED: "cyan", SKIPPED: "dim", FAILED: "bold red", ERROR: "bold red",
    CANCELLED: "yellow", RUNNING: "bold yellow", INTERRUPTED: "magenta", PARTLY_DONE: "yellow", NOT_STARTED: "dim",
    OPTIONAL_FAILED: "yellow", CHANGED: "bold yellow",
}


def css_state(state: str) -> str:
    return "state-" + state.replace(" ", "-")
