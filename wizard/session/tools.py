"""The session layer's small operations: journal status and verification, sandboxes, runbook files.

They need no environment or lock; the CLI's subcommands and the TUI's screens call them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard import paths
from wizard.rehearsal import clusters as sandbox
from wizard.errors import WizardError
from wizard.journal import read_events, verify
from wizard.runbook import load_runbook
from wizard.runbook.model import Runbook
from wizard.session.journals import journal_path
from wizard.state import replay

SANDBOX_NAMES = sandbox.NAMES


def status_data(path: Path) -> dict[str, Any]:
    """What the journal says has happened, as plain data (`status --json`)."""
    read = read_events(path)
    state = replay(read.events)
    steps = []
    for (env, step_id), record in sorted(state.steps.items(), key=lambda kv: kv[1].started_at or ""):
        result = record.result
        steps.append({"env": env, "step": step_id, "status": "running" if record.running else (result.status if result else "?"),
                      "started_at": record.started_at, "duration_s": result.duration_s if result else None})
    return {
        "journal": str(path),
        "exists": path.exists(),
        "run_id": state.run_id,
        "events": state.event_count,
        "sessions": state.sessions,
        "integrity": "intact" if read.intact else [p.what for p in read.problems],
        "torn_tail_bytes": len(read.torn_tail),
        "pins": state.pins,
        "passes": [{"env": p.env, "day": p.day, "pass": p.pass_id, "finished": p.finished, "ok": p.ok} for p in state.passes],
        "steps": steps,
        "facts": sorted(state.facts),
        "last_event_at": state.last_event_at,
    }


def default_status_journal(explicit: Path | None, env_name: str | None) -> Path:
    from wizard.environments import resolve_environment

    return journal_path(explicit, resolve_environment(env_name) if env_name else None)


def export_journal_path(explicit: Path | None) -> Path:
    """The journal `export` reads: the one named, else the week's journal, else the rehearsal's."""
    if explicit:
        return Path(explicit).expanduser()
    return next((p for p in (paths.default_journal(), journal_path(None)) if p.exists()), journal_path(None))


def export(journal: Path, out: Path) -> list[Path]:
    from wizard.exports import export_all

    if not journal.exists():
        raise WizardError(f"No journal at {journal}.", "Run a day first, or name the journal with --journal PATH.")
    return export_all(journal, out)


def verify_journal(path: Path) -> Any:
    if not path.exists():
        raise WizardError(f"No journal at {path}.", "Check the path (`migration-wizard status` prints it).")
    return verify(path, fast=True)


def runbook(path: Path | None = None) -> Runbook:
    return load_runbook(path)


def sandbox_url(name: str) -> str:
    sandbox.cluster_dir(name)  # validates the name
    return sandbox.url(name)


def sandbox_action(action: str, name: str) -> Any:
    """start | stop | reset | status of one sandbox cluster; returns what the CLI prints."""
    sandbox.cluster_dir(name)  # validates the name
    if action == "start":
        sandbox.ensure(name)
        return sandbox.url(name)
    if action == "stop":
        return sandbox.stop(name)
    if action == "reset":
        sandbox.reset(name)
        return sandbox.url(name)
    return sandbox.status(name)
