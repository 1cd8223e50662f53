"""Fixtures for the TUI's tests and benchmark: fixed environments (no tmp paths in the banner),
journals written with known results, and a Display that masks whatever varies between runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from screens.display import Display
from wizard.environments import Environment
from wizard.journal import Journal
from wizard.results import ATTESTED, PASSED, Check, StepResult
from wizard.runbook.model import Day, Runbook, Step, Task
from wizard.troubleshoot import advice_for

REPO = Path(__file__).resolve().parent.parent


def demo_environment(kind: str) -> Environment:
    """An environment of each kind with fixed connection details; nothing connects to them."""
    if kind == "sandbox":
        return Environment("sandbox-staging", "sandbox", "staging",
                           {"host": "/var/run/migration-wizard/sandbox-staging", "port": 5432, "dbname": "postgres",
                            "user": "postgres"}, workspace="/srv/rehearsal/workspace")
    if kind == "sandbox-production":  # red like production, SANDBOX written out
        return Environment("sandbox-production", "sandbox", "production",
                           {"host": "/var/run/migration-wizard/sandbox-production", "port": 5432, "dbname": "postgres",
                            "user": "postgres"}, workspace="/srv/rehearsal/workspace")
    if kind == "staging":
        return Environment("staging", "staging", "staging",
                           {"host": "db.staging.example.internal", "port": 5432, "dbname": "postgres", "user": "wizard"},
                           workspace="/srv/app")
    if kind == "production":
        return Environment("production", "production", "production",
                           {"host": "db.prod.example.internal", "port": 5432, "dbname": "postgres", "user": "wizard"},
                           workspace="/srv/app")
    raise ValueError(kind)


def stable_display(*extra: tuple[str, str]) -> Display:
    labels = {str(REPO): "<repo>", sys.executable: "python"}
    labels.update(dict(extra))
    return Display(stable=True, path_labels=labels)


def table(columns: list[tuple[str, str]], rows: list[list[Any]], total: int | None = None) -> dict[str, Any]:
    names = [c for c, _ in columns]
    dict_rows = [dict(zip(names, row)) for row in rows]
    total = len(rows) if total is None else total
    return {"columns": names, "column_types": [t for _, t in columns], "rows": dict_rows, "row_count": total,
            "shown_rows": len(rows), "truncated": total > len(rows), "scalar": rows[0][0] if rows else None,
            "status": f"SELECT {total}"}


def passed(step: Step, data: dict[str, Any], evidence: str = "holds", status: str = PASSED) -> StepResult:
    checks = [Check(e.check, e.describe, True, evidence) for e in step.expect]
    return StepResult(step.id, step.kind, status, data=data, checks=checks, duration_s=0.25)


def write_journal(path: Path, runbook: Runbook, env: Environment,
                  days: list[tuple[str, list[StepResult], bool | None]]) -> Path:
    """A journal holding finished day passes with the given results (ok=None: left open)."""
    journal = Journal(path)
    journal.append("run_started", runbook_path=runbook.path, runbook_title=runbook.title, runbook_sha256="0" * 64)
    for pass_id, (day_id, results, ok) in enumerate(days, start=1):
        journal.append("day_started", env=env.name, day=day_id, pass_id=pass_id, tasks=None)
        for result in results:
            task = next(t for t in runbook.tasks() if any(s.id == result.step_id for s in t.steps))
            step = next(s for s in task.steps if s.id == result.step_id)
            result.environment = env.name
            result.started_at = f"2026-11-23T09:{len(journal.events):02d}:00.000+00:00"
            if not result.ok and not result.advice:
                result.advice = advice_for(runbook, task.id, result)
            journal.append("step_started", env=env.name, task=task.id, step=step.id, kind=step.kind, title=step.title)
            journal.append("step_finished", env=env.name, role=env.role, task=task.id, step=step.id,
                           save_as=step.save_as, result=result.to_dict())
        if ok is not None:
            stopped = next((r.step_id for r in results if not r.ok), None)
            journal.append("day_finished", env=env.name, day=day_id, pass_id=pass_id, ok=ok, stopped_at=stopped)
    return path


def monday_results(runbook: Runbook) -> list[StepResult]:
    """Monday as the sandbox measures it: 52 tables, the four core tables' row counts."""
    out = []
    for task in runbook.day("monday").tasks:
        for step in task.steps:
            data: dict[str, Any] = {}
            status = PASSED
            if step.id == "1.6.table_count":
                data = table([("total_tables", "int8")], [[52]])
                out.append(passed(step, data, "52 == 52"))
                continue
            if step.id == "1.6.core_counts":
                data = table([("table_name", "text"), ("row_count", "int8")],
                             [["moves", 15], ["cohorts", 8], ["campaigns", 5], ["assets", 42]])
            elif step.id == "1.5.version":
                data = table([("version", "text")], [["PostgreSQL 16.2 on x86_64-pc-linux-gnu"]])
            elif step.kind == "attest":
                status = ATTESTED
                data = {"answer": "2026-11-23T08:30:00+00:00" if "backup" in step.id else "yes", "answer_source": "operator"}
            out.append(passed(step, data, status=status))
    return out


def every_day_passed(runbook: Runbook) -> list[tuple[str, list[StepResult], bool | None]]:
    """The whole week passed (for the week-complete line), each step with an empty result."""
    return [(day.id, [passed(step, {}, status=ATTESTED if step.kind == "attest" else PASSED)
                      for task in day.tasks for step in task.steps], True) for day in runbook.days]


def tiny_runbook(tmp: Path, steps: list[Step], *, day: str = "monday") -> Runbook:
    """A one-task runbook (for cancel and attest tests); its file exists so the journal can hash it."""
    path = tmp / "tiny_runbook.toml"
    path.write_text("# built in the test\n")
    task = Task("9.1", "A tiny task", 5, "Run **one** thing.", tuple(steps), day_id=day)
    return Runbook("A tiny runbook", str(path), {}, (Day(day, "Tiny day", "One task.", (task,)),))


def preview_012() -> dict[str, Any]:
    """012's preview on the pre-clean-up database, as the session computes it (rows, sizes and
    dependents measured on the sandbox; the dependents' names left out, only their count shows)."""
    measured = [("quest_milestones", 4, 49152, 4, 0), ("quest_moves", 5, 57344, 7, 0), ("quests", 3, 49152, 5, 1),
                ("maneuver_prerequisites", 3, 57344, 7, 0), ("capability_nodes", 4, 65536, 6, 0),
                ("notifications", 10, 65536, 7, 0), ("move_decisions", 6, 65536, 7, 0), ("quick_wins", 4, 65536, 6, 0),
                ("cohort_relations", 3, 65536, 8, 0)]
    drops = [{"table": f"public.{name}", "written": name, "cascade": True, "exists": True, "rows": rows,
              "rows_estimated": False, "bytes": size, "rebuilt": False, "note": "",
              "dependents": [{"type": "table constraint", "name": f"{name}_dep_{i}", "beyond": i < beyond} for i in range(deps)]}
             for name, rows, size, deps, beyond in measured]
    lint = [{"rule": "ban-drop-table", "level": "warning"}] * 9 + [
        {"rule": "require-lock-timeout", "level": "warning"}, {"rule": "require-statement-timeout", "level": "warning"}]
    return {"file": "/workspace/database/migrations/012_remove_unused_features.sql", "sha256": "9f2c" + "0" * 60,
            "statements": [], "lint": lint, "drops": drops}
