"""`status --json`: what a journal says, with every step's and task's state decided by the fold."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from wizard.journal.fold import Fold, replay
from wizard.journal.store import read_events
from wizard.runbook import load_runbook
from wizard.runbook.model import Runbook


def recorded_runbook(fold: Fold, explicit: Path | None = None) -> tuple[Runbook, str]:
    """The runbook the run used (its file, when it is still here), and a note when it is not that one."""
    recorded = fold.runbook
    if explicit is not None:
        return load_runbook(explicit), ""
    path = Path(recorded.get("runbook_path") or "")
    if recorded.get("runbook_path") and path.is_file():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest == recorded.get("runbook_sha256"):
            return load_runbook(path), ""
        return load_runbook(path), (f"the runbook file has changed since the run (sha256 {digest[:12]} now, "
                                    f"{str(recorded.get('runbook_sha256'))[:12]} during the run): titles and estimates are today's")
    note = "the runbook file of the run is not here; titles and estimates come from the shipped runbook" if recorded else ""
    return load_runbook(), note


def status_data(path: Path) -> dict[str, Any]:
    read = read_events(path)
    fold = replay(read.events)
    runbook, _note = recorded_runbook(fold)
    steps = []
    for (env, step_id), record in sorted(fold.steps.items(), key=lambda kv: kv[1].started_seq):
        result = record.result
        steps.append({"env": env, "step": step_id, "status": fold.step_state(step_id, env),
                      "started_at": record.started_at, "duration_s": result.duration_s if result else None})
    envs = sorted({env for env, _step in fold.steps})
    return {
        "journal": str(path),
        "exists": path.exists(),
        "run_id": fold.run_id,
        "events": fold.event_count,
        "sessions": fold.sessions,
        "integrity": "intact" if read.intact else [p.what for p in read.problems],
        "torn_tail_bytes": len(read.torn_tail),
        "pins": fold.pins,
        "passes": [{"env": p.env, "day": p.day, "pass": p.pass_id, "finished": p.finished, "ok": p.ok} for p in fold.passes],
        "steps": steps,
        "tasks": [{"env": env, "task": task.id, "state": fold.task_state(task, env)} for env in envs for task in runbook.tasks()],
        # what the documents report: each step's latest run on any environment
        "run_tasks": [{"task": task.id, "state": fold.task_state(task)} for task in runbook.tasks()],
        "facts": sorted(fold.facts),
        "last_event_at": fold.last_event_at,
    }
