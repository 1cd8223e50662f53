"""The session layer's small operations: journal status and verification, sandboxes, runbook files.

They need no environment or lock; the CLI's subcommands and the TUI's screens call them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard.rehearsal import clusters as sandbox
from wizard.errors import WizardError
from wizard.journal import verify
from wizard.runbook import load_runbook
from wizard.runbook.model import Runbook
from wizard.session.integrity import check_journal, check_shape, refuse_non_journal
from wizard.session.journals import default_journal_for, journal_path

SANDBOX_NAMES = sandbox.NAMES


def status_data(path: Path, runbook: Path | None = None) -> dict[str, Any]:
    """What the journal says has happened, as plain data (`status --json`): the fold decides every state.

    Something that is not a journal, or one emptied or deleted behind its head sidecar, is refused;
    a broken chain is reported in `integrity` (the command then exits 1, as `journal verify` does).
    """
    from wizard.journal.status import status_data as journal_status

    if not check_shape(path):
        return journal_status(path, runbook)
    data = journal_status(path, runbook)
    checked = verify(path, fast=True)
    data["integrity"] = "intact" if checked.intact else [p.what for p in sorted(checked.problems, key=lambda p: p.line)]
    return data


def default_status_journal(explicit: Path | None, env_name: str | None, runbook: Path | None = None) -> Path:
    from wizard.environments import resolve_environment

    return journal_path(explicit, resolve_environment(env_name) if env_name else None, runbook)


def export_journal_path(explicit: Path | None, runbook: Path | None = None) -> Path:
    """The journal `export` reads: the one named, else the runbook's real journal, else its rehearsal's."""
    if explicit:
        return Path(explicit).expanduser()
    real, rehearsal = (default_journal_for(runbook, sandbox=sandbox) for sandbox in (False, True))
    return real if real.exists() or not rehearsal.exists() else rehearsal


def export(journal: Path, out: Path) -> list[Path]:
    from wizard.exports import export_all

    if check_journal(journal) is None:
        raise WizardError(f"No journal at {journal}.", "Run a day first, or name the journal with --journal PATH.")
    return export_all(journal, out)


def reviewable(path: Path) -> None:
    """A saved journal the review screens can open (they show its integrity themselves)."""
    if not check_shape(path):
        raise WizardError(f"No journal at {path}.", "Give the path of a saved journal (.jsonl).")


def verify_journal(path: Path) -> Any:
    try:
        info = path.stat()
    except OSError:
        raise WizardError(f"No journal at {path}.", "Check the path (`migration-wizard status` prints it).") from None
    refuse_non_journal(path, info)
    return verify(path, fast=True)


def runbook(path: Path | None = None) -> Runbook:
    return load_runbook(path)


def lint_runbook(book: Runbook, *, strict_files: bool = True) -> list[Any]:
    from wizard.runbook.lint import lint

    return lint(book, strict_files=strict_files)


def new_runbook(path: Path) -> Path:
    from wizard.runbook.skeleton import write_skeleton

    return write_skeleton(path)


def sandbox_url(name: str) -> str:
    sandbox.cluster_dir(name)  # validates the name
    return sandbox.url(name)


def missing_supabase_extensions() -> list[str]:
    """Extensions a blank Supabase sandbox cannot create on this machine yet (see scripts/install-pgvector.sh)."""
    return sandbox.debian_missing_extensions()


def sandbox_action(action: str, name: str, *, empty: bool = False) -> Any:
    """start | stop | reset | status of one sandbox cluster; returns what the CLI prints.
    `empty` resets it to a blank Supabase project instead of the pre-clean-up database."""
    sandbox.cluster_dir(name)  # validates the name
    if action == "start":
        sandbox.ensure(name)
        return sandbox.url(name)
    if action == "stop":
        return sandbox.stop(name)
    if action == "reset":
        sandbox.reset(name, empty=empty)
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
