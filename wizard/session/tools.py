"""The session layer's small operations: journal status and verification, sandboxes, runbook files.

They need no environment or lock; the CLI's subcommands and the TUI's screens call them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard import paths
from wizard.rehearsal import clusters as sandbox
from wizard.errors import WizardError
from wizard.journal import verify
from wizard.runbook import load_runbook
from wizard.runbook.model import Runbook
from wizard.session.journals import journal_path

SANDBOX_NAMES = sandbox.NAMES


def status_data(path: Path) -> dict[str, Any]:
    """What the journal says has happened, as plain data (`status --json`): the fold decides every state."""
    from wizard.journal.status import status_data as journal_status

    return journal_status(path)


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


def is_journal(path: Path) -> bool:
    """Whether a file starts like a migration-wizard journal (a JSON event with its hash), so
    `review` of, say, a Markdown file says what it is instead of reporting a broken chain."""
    import json

    try:
        with Path(path).open("rb") as fh:
            first = fh.readline(1_000_000)
        event = json.loads(first)
    except (OSError, ValueError):
        return False
    return isinstance(event, dict) and {"type", "seq", "hash"} <= event.keys()
