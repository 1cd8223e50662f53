"""View-model: what the screens show, read off the replayed journal (RunState). No judging here.

The engine decides whether a step passed; these functions only gather its recorded verdicts
into the words the week overview and the task screen print.
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.results import ATTESTED, CANCELLED, ERROR, FAILED, PASSED, SKIPPED, StepResult
from wizard.runbook.model import Day, Runbook, Step, Task
from wizard.state import RunState

NOT_STARTED = "not started"
RUNNING = "running"
INTERRUPTED = "interrupted"  # started in an earlier session that ended mid-step
PARTLY_DONE = "partly done"

# Marks and CSS classes per state: the word is always shown too, so colour is never alone.
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
}


def css_state(state: str) -> str:
    return "state-" + state.replace(" ", "-")


def step_state(state: RunState, env: str, step_id: str, running: str | None = None) -> str:
    if running == step_id:
        return RUNNING
    record = state.steps.get((env, step_id))
    if record is None:
        return NOT_STARTED
    if record.running:
        return INTERRUPTED
    return record.result.status if record.result else NOT_STARTED


def step_result(state: RunState, env: str, step_id: str) -> StepResult | None:
    record = state.steps.get((env, step_id))
    return record.result if record else None


def latest_step(runbook: Runbook, state: RunState, env: str) -> tuple[Task, Step] | None:
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


def task_state(state: RunState, env: str, task: Task, running: str | None = None) -> str:
    states = [(step, step_state(state, env, step.id, running)) for step in task.steps]
    if any(s == RUNNING for _, s in states):
        return RUNNING
    if all(s == NOT_STARTED for _, s in states):
        return NOT_STARTED
    required = [(step, s) for step, s in states if not step.optional]
    for bad in (FAILED, ERROR):
        if any(s == bad for _, s in required):
            return FAILED
    if any(s == CANCELLED for _, s in states):
        return CANCELLED
    if any(s == INTERRUPTED for _, s in states):
        return INTERRUPTED
    if any(s == NOT_STARTED for _, s in required):
        return PARTLY_DONE
    done = [s for _, s in states if s != NOT_STARTED]
    if all(s == SKIPPED for s in done):
        return SKIPPED
    if all(s == ATTESTED for s in done):
        return ATTESTED
    return PASSED


def task_seconds(state: RunState, task: Task, env: str | None = None) -> float | None:
    """Actual time: with an environment, what the task's steps took there (latest attempt of each);
    without, TaskTiming.seconds (every attempt, on every environment)."""
    if env is None:
        timing = state.tasks.get(task.id)
        return timing.seconds if timing and timing.first_start else None
    results = [r for r in (step_result(state, env, s.id) for s in task.steps) if r is not None]
    return sum(r.duration_s for r in results) if results else None


OK_TASK_STATES = (PASSED, ATTESTED, SKIPPED)


@dataclass
class DaySummary:
    day: Day
    done: int
    total: int
    verdict: str  # not started | passed | stopped at 2.4.apply_012 | in progress | running | …
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


def day_summary(state: RunState, env: str, role: str, day: Day, running: str | None = None,
                live: bool = False) -> DaySummary:
    """`live`: the engine is running on this environment now (an open pass is running, not interrupted)."""
    states = [task_state(state, env, t, running) for t in day.tasks]
    done = sum(s in OK_TASK_STATES for s in states)
    passes = [p for p in state.passes if p.env == env and p.day == day.id]
    if RUNNING in states or (live and passes and not passes[-1].finished):
        verdict = RUNNING
    elif passes and passes[-1].finished and passes[-1].ok:
        verdict = PASSED
    elif passes and passes[-1].finished:
        stopped = next((s for s in states if s in (FAILED, CANCELLED)), None)
        failing = [t.id for t, s in zip(day.tasks, states) if s in (FAILED, CANCELLED, INTERRUPTED)]
        verdict = f"stopped at {failing[0]}" if failing else (stopped or "stopped")
    elif passes:
        verdict = INTERRUPTED
    elif done == len(states) and states:
        verdict = PASSED
    elif any(s != NOT_STARTED for s in states):
        verdict = PARTLY_DONE
    else:
        verdict = NOT_STARTED
    return DaySummary(day, done, len(states), verdict, other_role(day, role))


def standing(runbook: Runbook, state: RunState, env: str, role: str, running: tuple[Task, Step] | None = None,
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
        if summary.verdict.startswith("stopped") or summary.verdict in (INTERRUPTED, PARTLY_DONE):
            return f"{summary.label} {summary.verdict} on {env}: open it to see why, fix, then run it again to resume."
    upcoming = next((s for s in summaries if s.verdict == NOT_STARTED and s.other_role is None), None)
    head = f"{', '.join(s.label for s in finished)} passed on {env}. " if finished else f"Nothing run on {env} yet. "
    if upcoming is None:
        rest = [s for s in summaries if s.verdict == NOT_STARTED]
        if rest:
            return head + f"Next: {rest[0].label}, on a {rest[0].other_role} environment."
        return head + "Every day is done."
    return head + f"Next: {upcoming.label} — {upcoming.day.title}."


STYLES = {
    PASSED: "green", ATTESTED: "cyan", SKIPPED: "dim", FAILED: "bold red", ERROR: "bold red",
    CANCELLED: "yellow", RUNNING: "bold yellow", INTERRUPTED: "magenta", PARTLY_DONE: "yellow", NOT_STARTED: "dim",
}
