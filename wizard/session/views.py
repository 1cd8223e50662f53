"""View data: what the live screens show, read off the journal's Fold. No judging here.

The fold decides every step's, task's and day's state (wizard/journal/fold.py); this module only
gathers it into what a face prints: day summaries, the standing sentence, actual times. The
marks and colours are the face's own (screens/model.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from wizard.journal.fold import (INTERRUPTED, NOT_STARTED, OK_TASK_STATES, OPTIONAL_FAILED, PARTLY_DONE, RUNNING,
                                 STOPPED, Fold, file_change)

__all__ = ["ATTESTED", "CANCELLED", "CHANGED", "ERROR", "FAILED", "INTERRUPTED", "NOT_STARTED", "OPTIONAL_FAILED",
           "PARTLY_DONE", "PASSED", "RUNNING", "SKIPPED", "STOPPED", "DaySummary", "FileChange", "Fold", "PassedFile",
           "changed_note", "day_summary", "file_changes", "latest_step", "other_role", "passed_files", "shown_state",
           "standing", "step_result", "week_complete", "step_state", "task_seconds", "task_state"]
from wizard.results import ATTESTED, CANCELLED, ERROR, FAILED, PASSED, SKIPPED, StepResult
from wizard.runbook.model import Day, Runbook, Step, Task

# Not a state of the fold: a passed step whose file (a migration, a checked file) is not the one
# it passed with. The fold still says passed; the engine runs it again when its day resumes.
CHANGED = "changed"


@dataclass(frozen=True)
class PassedFile:
    task: str
    step: str
    path: str
    sha256: str


@dataclass(frozen=True)
class FileChange:
    task: str
    step: str
    reason: str  # one line: the file's name, its sha256 now and then


def passed_files(runbook: Runbook, state: Fold, env: str) -> tuple[PassedFile, ...]:
    """The files this environment's passed steps hashed. Reads the journal's fold only, never the
    disk, so a face may call it where it draws and hand the reading to file_changes elsewhere."""
    found = []
    for task in runbook.tasks():
        for step in task.steps:
            if (passed := state.passed_file(step.id, env)) is not None:
                found.append(PassedFile(task.id, step.id, *passed))
    return tuple(found)


def file_changes(files: Iterable[PassedFile]) -> dict[str, FileChange]:
    """Step id → why its file is not the one it passed with. Reads (and hashes) the files."""
    changes = {}
    for f in files:
        reason = file_change(f.path, f.sha256, name=Path(f.path).name)
        if reason is not None:
            changes[f.step] = FileChange(f.task, f.step, reason)
    return changes


def shown_state(word: str, changed: bool) -> str:
    """A task's or step's state as shown: CHANGED when it passed with a file that has changed since."""
    return CHANGED if changed and word in OK_TASK_STATES else word


def changed_note(changes: Iterable[FileChange]) -> str:
    """One sentence for the standing line: which tasks' files changed since they passed."""
    tasks = list(dict.fromkeys(c.task for c in changes))  # runbook order, as file_changes found them
    if not tasks:
        return ""
    if len(tasks) == 1:
        return f"Task {tasks[0]}'s file changed since it passed: it is re-checked on resume."
    return f"Tasks {', '.join(tasks)} have files that changed since they passed: they are re-checked on resume."


def step_state(state: Fold, env: str, step_id: str, running: str | None = None) -> str:
    return state.step_state(step_id, env, running)


def step_result(state: Fold, env: str, step_id: str) -> StepResult | None:
    record = state.steps.get((env, step_id))
    return record.result if record else None


def latest_step(runbook: Runbook, state: Fold, env: str) -> tuple[Task, Step] | None:
    """The step that finished last on this environment, per the journal."""
    best: tuple[str, str] | None = None
    for (env_name, step_id), record in state.steps.items():
        if env_name == env and record.result is not None and (best is None or (record.started_at or "") > best[0]):
            best = (record.started_at or "", step_id)
    if best is None:
        return None
    for task in runbook.tasks():
        for step in task.steps:
            if step.id == best[1]:
                return task, step
    return None


def task_state(state: Fold, env: str, task: Task, running: str | None = None) -> str:
    return state.task_state(task, env, running)


def task_seconds(state: Fold, task: Task, env: str | None = None) -> float | None:
    """Actual time: with an environment, what the task's steps took there (latest attempt of each);
    without, TaskTiming.seconds (every attempt, on every environment)."""
    if env is None:
        timing = state.tasks.get(task.id)
        return timing.seconds if timing and timing.first_start else None
    results = [r for r in (step_result(state, env, s.id) for s in task.steps) if r is not None]
    return sum(r.duration_s for r in results) if results else None


@dataclass
class DaySummary:
    day: Day
    done: int
    total: int
    verdict: str  # the fold's day verdict: not started | passed | stopped at 2.4 | interrupted | partly done | running
    other_role: str | None  # "production" when the day's database steps need the other role

    @property
    def label(self) -> str:
        return f"{self.day.id.capitalize()}"


def other_role(day: Day, role: str) -> str | None:
    """The role a day's database steps need when this environment cannot run them."""
    for task in day.tasks:
        for step in task.steps:
            if step.target in ("staging", "production") and step.target != role:
                return step.target
    return None


def day_summary(state: Fold, env: str, role: str, day: Day, running: str | None = None,
                live: bool = False) -> DaySummary:
    """`live`: the engine is running on this environment now (an open pass is running, not interrupted)."""
    decided = state.day_state(day, env, running, live)
    return DaySummary(day, decided.done, decided.total, decided.verdict, other_role(day, role))


def week_complete(runbook: Runbook, state: Fold) -> bool:
    """Every day passed on some environment of this journal (the week's days run on two roles)."""
    envs = {p.env for p in state.passes}
    return bool(envs) and all(any(state.day_state(day, env, None, False).verdict == PASSED for env in envs)
                              for day in runbook.days)


def standing(runbook: Runbook, state: Fold, env: str, role: str, running: tuple[Task, Step] | None = None,
             live: bool = False) -> str:
    """One sentence: where the run stands on this environment."""
    if running is not None:
        task, step = running
        return f"Running {step.id} ({step.title}) in task {task.id} on {env}."
    if live:
        return f"Running on {env}: waiting for the next step (or for an answer)."
    summaries = [day_summary(state, env, role, d) for d in runbook.days]
    finished = [s for s in summaries if s.verdict == PASSED]
    for summary in summaries:
        if summary.verdict.startswith(STOPPED) or summary.verdict in (INTERRUPTED, PARTLY_DONE):
            return f"{summary.label} {summary.verdict} on {env}: open it to see why, fix, then run it again to resume."
    if week_complete(runbook, state):
        return ("Week complete: every day has passed in this journal. x writes the week's documents; read "
                "them before you send them (review JOURNAL opens this week again, read-only).")
    upcoming = next((s for s in summaries if s.verdict == NOT_STARTED and s.other_role is None), None)
    head = f"{', '.join(s.label for s in finished)} passed on {env}. " if finished else f"Nothing run on {env} yet. "
    if upcoming is None:
        rest = [s for s in summaries if s.verdict == NOT_STARTED]
        if rest:
            return head + f"Next: {rest[0].label}, on a {rest[0].other_role} environment."
        return head + "Every day is done."
    return head + f"Next: {upcoming.label} — {upcoming.day.title}."

