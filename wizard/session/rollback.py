"""Undoing a migration, from what the journal knows: restore-table and the guided rollback.

Everything runs as a `restore` (or `migration`) step through Session.run, so a production-role
environment gets the same gate as any production write (a fresh backup, the typed name) and the
journal records what was restored, from which file, with which SHA-256.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import WizardError
from wizard.runbook.model import Step, Task
from wizard.session.core import RunOutcome, Session
from wizard.session.dialogue import Dialogue

ROLLBACK_TASK = Task("rollback", "Rollback", 0, "Undo a migration: tables from its archive, or a backup.", (), "")


@dataclass
class Applied:
    """One migration applied (committed) on an environment, and what can undo it."""

    step: str
    file: str
    finished_at: str
    archive: dict[str, Any] | None
    backup: dict[str, Any] | None  # the latest backup step on this environment before it


@dataclass
class Option:
    number: int
    title: str
    detail: list[str] = field(default_factory=list)
    step: Step | None = None  # None: done by hand (the runbook's steps are shown)


def _age(iso: str) -> str:
    then = dt.datetime.fromisoformat(iso)
    hours = (dt.datetime.now(dt.timezone.utc) - then).total_seconds() / 3600
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.1f} h"


def applied(session: Session) -> list[Applied]:
    """The migrations committed on the session's environment, newest first."""
    env = session.env.name
    state = session.state() if session.journal is not None else _read(session.journal_path)
    found: list[Applied] = []
    backup: dict[str, Any] | None = None
    for attempt in state.attempts:
        if attempt.env != env or attempt.result is None:
            continue
        data = attempt.result.data
        if attempt.kind == "backup" and attempt.result.ok:
            backup = dict(data)
        # FAILED is an unmet expectation after a commit; ERROR and dry runs rolled back.
        elif attempt.kind == "migration" and data.get("mode") == "apply" and data.get("rolled_back") is False:
            found.append(Applied(attempt.step, str(data.get("file")), attempt.finished_at or "", data.get("archive"), backup))
    return found[::-1]


def _read(path: Path) -> Any:
    """The journal's fold without opening it for writing (listing changes nothing)."""
    from wizard.journal import Fold, read_events, replay

    return replay(read_events(path).events) if path.exists() else Fold()


def _qualified(name: str) -> str:
    return name if "." in name else f"public.{name}"


def _restore_step(sid: str, title: str, params: dict[str, Any]) -> Step:
    return Step(f"rollback.{sid}", "restore", title, "any", params)


def options(session: Session) -> list[Option]:
    """What can be undone on the session's environment: newest migration first, then the runbook's SQL."""
    env = session.env
    found: list[Option] = []
    for m in applied(session):
        archive = m.archive or {}
        tables = [f"{t['schema']}.{t['table']}" for t in archive.get("tables", []) if not t.get("rebuilt")]
        if tables:
            found.append(Option(len(found) + 1, f"Bring back the {len(tables)} tables {m.file} dropped, from its archive",
                                [f"archive {archive['folder']} (taken {archive['taken_at']}, {_age(archive['taken_at'])} ago)",
                                 "tables: " + ", ".join(tables)],
                                _restore_step("restore_tables", f"Restore {len(tables)} tables {m.file} dropped on "
                                              f"{env.name.upper()} from its archive",
                                              {"source": archive["folder"], "tables": tables,
                                               "sha256": archive.get("manifest_sha256", "")})))
        if m.backup:
            b = m.backup
            found.append(Option(len(found) + 1, f"Restore the whole database from the backup taken before {m.file}",
                                [f"{b['path']} (taken {b['taken_at']}, {_age(b['taken_at'])} ago, {b['size']:,} bytes)",
                                 "EVERY change made since the backup is lost, not only this migration's"],
                                _restore_step("restore_database",
                                              f"RESTORE THE WHOLE DATABASE of {env.name.upper()} from the backup taken "
                                              f"{_age(b['taken_at'])} ago ({b['taken_at']}): every change made since is lost",
                                              {"source": b["path"], "mode": "database", "sha256": b["sha256"]})))
    for rb in session.runbook.rollback:
        if rb.sql_file:
            step = Step(f"rollback.sql_{len(found) + 1}", "migration", f"{rb.title}: apply {Path(rb.sql_file).name} "
                        f"to {env.name.upper()}", "any", {"file": rb.sql_file, "mode": "apply"})
            found.append(Option(len(found) + 1, f"The runbook's {rb.title} ({rb.estimate})", list(rb.steps), step))
        else:
            found.append(Option(len(found) + 1, f"The runbook's {rb.title} ({rb.estimate}), by hand", list(rb.steps)))
    return found


def archive_for(session: Session, table: str, run: str | None = None) -> dict[str, Any]:
    """The latest archive on this environment holding `table`; with `run`, the one whose folder
    name (or migration step) matches it."""
    name = _qualified(table)
    archives = [m.archive for m in applied(session) if m.archive and (run is None or run in (m.step, Path(m.archive["folder"]).name)
                                                                      or Path(m.archive["folder"]).name.startswith(run))]
    if run is not None and not archives:
        raise WizardError(f"No archive on {session.env.name} matches {run!r}.",
                          f"`migration-wizard rollback --env {session.env.name} --list` lists the archives.")
    holding = [a for a in archives if any(f"{t['schema']}.{t['table']}" == name for t in a.get("tables", []))]
    if not holding:
        raise WizardError(f"No archive on {session.env.name} holds {name}" + (f" ({run})." if run else "."),
                          "Archives are taken when a migration that drops tables is applied by the wizard; "
                          "a table dropped otherwise comes back only with the pre-migration backup.")
    return holding[0]


async def restore_table(session: Session, table: str, *, run: str | None, dialogue: Dialogue) -> RunOutcome:
    archive = archive_for(session, table, run)
    name = _qualified(table)
    step = _restore_step("restore_table", f"Restore table {name} on {session.env.name.upper()} from the archive "
                         f"taken {archive['taken_at']} before {archive['migration']}",
                         {"source": archive["folder"], "tables": [name], "sha256": archive.get("manifest_sha256", "")})
    return await session.run("", step=(ROLLBACK_TASK, step), dialogue=dialogue)


async def perform(session: Session, number: int, *, dialogue: Dialogue) -> RunOutcome:
    found = options(session)
    chosen = next((o for o in found if o.number == number), None)
    if chosen is None:
        raise WizardError(f"There is no rollback option {number} on {session.env.name}.",
                          f"`migration-wizard rollback --env {session.env.name} --list` lists them (1–{len(found)}).")
    if chosen.step is None:
        raise WizardError(f"Option {number} ({chosen.title}) is done by hand: " + "; ".join(chosen.detail) + ".",
                          "Follow those steps yourself; the wizard runs only the options with a step.")
    if chosen.step.params.get("mode") == "database":
        dialogue.say(f"WARNING: {chosen.step.title}.")
    return await session.run("", step=(ROLLBACK_TASK, chosen.step), dialogue=dialogue)
