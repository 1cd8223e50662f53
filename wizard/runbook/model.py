"""The runbook model: days → tasks → steps, plus rollback options and troubleshooting."""

from __future__ import annotations

from typing import Any

import msgspec

from wizard.runbook.report import Report

# Which environment role a step is for: "staging", "production", "any" (either),
# or "local" (touches no database: code searches, file checks, attestations).
STEP_TARGETS = ("staging", "production", "any", "local")


# Frozen msgspec Structs rather than dataclasses: the same value objects, defined in a fraction of
# the time, and the TUI defines them before its first paint.
class Expectation(msgspec.Struct, frozen=True):
    """A condition on a step's result, written as a small expression (see wizard.expect)."""

    check: str
    describe: str


class Step(msgspec.Struct, frozen=True):
    id: str
    kind: str
    title: str
    target: str
    params: dict[str, Any]
    expect: tuple[Expectation, ...] = ()
    save_as: str | None = None
    optional: bool = False


class Task(msgspec.Struct, frozen=True):
    id: str
    title: str
    estimate_minutes: int
    instructions: str
    steps: tuple[Step, ...]
    day_id: str = ""


class Day(msgspec.Struct, frozen=True):
    id: str
    title: str
    summary: str
    tasks: tuple[Task, ...]


class Trouble(msgspec.Struct, frozen=True):
    """One row of the runbook's troubleshooting table: an error pattern and its advice."""

    pattern: str
    problem: str
    advice: str
    applies_to: tuple[str, ...] = ()


class RollbackOption(msgspec.Struct, frozen=True):
    title: str
    steps: tuple[str, ...]
    estimate: str
    sql_file: str = ""  # rollback SQL the wizard can apply (as a migration, under the same gates)


class Runbook(msgspec.Struct, frozen=True):
    title: str
    path: str
    facts: dict[str, Any]
    days: tuple[Day, ...]
    troubleshooting: tuple[Trouble, ...] = ()
    rollback: tuple[RollbackOption, ...] = ()
    next_week: dict[str, Any] = {}
    report: Report = Report()

    def day(self, day_id: str) -> Day:
        for day in self.days:
            if day.id == day_id.lower():
                return day
        known = ", ".join(d.id for d in self.days)
        from wizard.errors import WizardError

        raise WizardError(f"Unknown day {day_id!r}.", f"Choose one of: {known}.")

    def task(self, task_id: str) -> Task:
        for day in self.days:
            for task in day.tasks:
                if task.id == task_id:
                    return task
        from wizard.errors import WizardError

        raise WizardError(
            f"Unknown task {task_id!r}.",
            "Task ids look like 1.1 … 5.7; `migration-wizard runbook show` lists them.",
        )

    def tasks(self) -> list[Task]:
        return [t for d in self.days for t in d.tasks]

    def steps(self) -> list[Step]:
        return [s for t in self.tasks() for s in t.steps]

    def step(self, step_id: str) -> Step:
        for step in self.steps():
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def task_of(self, step_id: str) -> Task | None:
        """The task a step belongs to (None for an id this runbook does not have)."""
        return next((t for t in self.tasks() if any(s.id == step_id for s in t.steps)), None)
