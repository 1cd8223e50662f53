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
        was = Path(recorded.get("runbook_path") or "")
        # Older journals recorded the path as given (relative to a working directory now unknown).
        moved = was.is_absolute() and Path(explicit).resolve() != was
        return load_runbook(explicit), (f"the runbook moved: the journal names {recorded['runbook_path']}" if moved else "")
    path = Path(recorded.get("runbook_path") or "")
    if recorded.get("runbook_path") and path.is_file():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest == recorded.get("runbook_sha256"):
            return load_runbook(path), ""
        return load_runbook(path), (f"the runbook file has changed since the run (sha256 {digest[:12]} now, "
                                    f"{str(recorded.get('runbook_sha256'))[:12]} during the run): titles and estimates are today's")
    note = "the runbook file of the run is not here; titles and estimates come from the shipped runbook" if recorded else ""
    return load_runbook(), note


def _same_runbook(fold: Fold, given: Path | None) -> Path | None:
    """A --runbook given to `status` is used only when it is the journal's (by path or content)."""
    if given is None or not fold.runbook.get("runbook_path"):
        return given
    given = Path(given).expanduser().resolve()
    if str(given) == fold.runbook["runbook_path"] or (
            given.is_file() and hashlib.sha256(given.read_bytes()).hexdigest() == fold.runbook.get("runbook_sha256")):
        return given
    return None


def status_data(path: Path, runbook_path: Path | None = None) -> dict[str, Any]:
    read = read_events(path)
    fold = replay(read.events)
    runbook, note = recorded_runbook(fold, _same_runbook(fold, runbook_path))
    steps = []
    for (env, step_id), record in sorted(fold.steps.items(), key=lambda kv: kv[1].started_seq):
        result = record.result
        steps.append({"env": env, "step": step_id, "status": fold.step_state(step_id, env),
                      "started_at": record.started_at, "duration_s": result.duration_s if result else None,
                      "file_changed": fold.file_changed(step_id, env)})
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
        "runbook": {"title": runbook.title, "path": str(Path(runbook.path).resolve()), "note": note,
                    "recorded_path": fold.runbook.get("runbook_path"), "recorded_sha256": fold.runbook.get("runbook_sha256")},
        "passes": [{"env": p.env, "day": p.day, "pass": p.pass_id, "finished": p.finished, "ok": p.ok, "tasks": p.tasks}
                   for p in fold.passes],
        "days": [{"env": env, "day": day.id, "state": (st := fold.day_state(day, env)).verdict, "done": st.done, "total": st.total}
                 for env in envs for day in runbook.days],
        "steps": steps,
        "tasks": [{"env": env, "task": task.id, "state": fold.task_state(task, env)} for env in envs for task in runbook.tasks()],
        # what the documents report: each step's latest run on any environment
        "run_tasks": [{"task": task.id, "state": fold.task_state(task)} for task in runbook.tasks()],
        "facts": sorted(fold.facts),
        "last_event_at": fold.last_event_at,
    }
