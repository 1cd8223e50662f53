"""Getting a rehearsal ready: both clusters rebuilt, the workspace copied afresh, a real backup
taken; and the week's plan and answers the rehearsal runs with."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from wizard import paths
from wizard.environments import Environment
from wizard.errors import WizardError
from wizard.journal import head_path
from wizard.rehearsal import clusters

# (day, environment, tasks or None for all). Staging's days run on sandbox-staging and
# production's on sandbox-production, as the runbook's week does; a subset, when given, is
# noted in the journal and the summary.
REHEARSAL_PLAN: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("monday", "sandbox-staging", None),
    ("tuesday", "sandbox-staging", None),
    ("wednesday", "sandbox-staging", None),
    ("thursday", "sandbox-production", None),
    ("friday", "sandbox-production", None),
)


@dataclass(frozen=True)
class RehearsalRunbook:
    """A runbook the rehearsal can walk: its journal, its answers, and whether it starts afresh.

    `continues` names the rehearsal whose end state it starts from: its clusters are kept as that
    rehearsal left them, never rebuilt (Week 2 builds on the 43 tables Week 1 leaves)."""

    name: str
    path: Path
    journal_name: str
    answers_table: str = "answers"
    continues: str | None = None


REHEARSAL_RUNBOOKS = {
    "week1": RehearsalRunbook("week1", Path(__file__).resolve().parent.parent / "runbook" / "week1.toml", "rehearsal.jsonl"),
    "week2": RehearsalRunbook("week2", Path(__file__).resolve().parent / "week2.toml", "week2-rehearsal.jsonl",
                              answers_table="week2", continues="week1"),
}


def rehearsal_runbook(value: str | Path | None) -> RehearsalRunbook:
    """A shipped rehearsal by name (week1, week2), or a runbook file: the latter starts afresh
    with a journal of its own, named after the file."""
    if value is None:
        return REHEARSAL_RUNBOOKS["week1"]
    if str(value) in REHEARSAL_RUNBOOKS:
        return REHEARSAL_RUNBOOKS[str(value)]
    path = Path(value).expanduser()
    if not path.is_file():
        raise WizardError(f"No runbook {str(value)!r}: it is neither a shipped rehearsal ({', '.join(REHEARSAL_RUNBOOKS)}) nor a file.",
                          "Use --runbook week2, or the path of a runbook TOML file.")
    for book in REHEARSAL_RUNBOOKS.values():
        if path.resolve() == book.path:
            return book
    return RehearsalRunbook(path.stem, path.resolve(), f"{path.stem}-rehearsal.jsonl")


def _continue_from(book: RehearsalRunbook, say: Callable[[str], None]) -> None:
    """Refuse unless the rehearsal this one continues has run to its end; then start its clusters."""
    from wizard.journal.status import status_data

    previous = REHEARSAL_RUNBOOKS[book.continues]  # type: ignore[index]
    journal = paths.journals_dir() / previous.journal_name
    again = f"Rehearse {previous.name} first: migration-wizard rehearse --headless --runbook {previous.name}"
    passes = status_data(journal)["passes"] if journal.exists() else []
    if not any(p["day"] == "friday" and p["ok"] for p in passes):
        raise WizardError(f"The {book.name} rehearsal continues from the end of the {previous.name} rehearsal, "
                          f"and {journal} does not show {previous.name} finished.", again)
    for name in clusters.NAMES:
        if not clusters.is_initialised(name) or clusters.contents_of(name) != clusters.PRE_CLEANUP:
            raise WizardError(f"The {name} cluster is not where the {previous.name} rehearsal left it.", again)
        say(f"Continuing from the {previous.name} rehearsal: starting the {name} cluster as it left it…")
        clusters.ensure(name)


def _add_missing_migrations(workspace: Path) -> None:
    # A kept workspace may predate migrations shipped since; copy those in, never overwrite a file.
    target = workspace / "database" / "migrations"
    target.mkdir(parents=True, exist_ok=True)
    for sql_file in (paths.sql_dir() / "migrations").glob("*.sql"):
        if not (target / sql_file.name).exists():
            shutil.copy2(sql_file, target / sql_file.name)


def prepare_environment(env: Environment, say: Callable[[str], None] = lambda text: None) -> None:
    """A built-in sandbox is created, started and seeded on first use; other environments need nothing."""
    if env.kind == "sandbox" and env.name in clusters.NAMES:  # a sandbox-kind profile is not one of ours
        say(f"Starting the {env.name} cluster (first use creates and seeds it)…")
        clusters.ensure(env.name)
        clusters.ensure_workspace()


def take_backup(name: str) -> tuple[Path, str]:
    """A real pg_dump of a sandbox cluster: the rehearsal's answer to "note the backup timestamp"."""
    folder = paths.data_dir() / "rehearsal" / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc)
    target = folder / f"{name}-{stamp:%Y%m%dT%H%M%SZ}.dump"
    info = clusters.conninfo(name)
    done = subprocess.run([clusters.tool("pg_dump", name), "-Fc", "-h", str(info["host"]), "-U", "postgres", "-f", str(target),
                           "postgres"], capture_output=True, text=True)
    if done.returncode != 0:
        raise WizardError(f"pg_dump of {name} failed: {done.stderr.strip()[-300:]}",
                          f"Check the cluster with `migration-wizard sandbox status {name}`.")
    return target, stamp.isoformat(timespec="seconds")


def rehearsal_answers(backup_time: str, runbook_path: Path | None = None) -> dict[str, Any]:
    """The rehearsal's answers for this runbook's attest steps (its own table in answers.toml)."""
    table = rehearsal_runbook(runbook_path).answers_table
    text = (Path(__file__).parent / "answers.toml").read_text()
    return {k: (v.replace("{backup_time}", backup_time) if isinstance(v, str) else v)
            for k, v in tomllib.loads(text)[table].items()}


def prepare_rehearsal(path: Path, say: Callable[[str], None],
                      runbook_path: Path | None = None) -> tuple[list[dict[str, Any]], str]:
    """A clean slate for a rehearsal, headless or in the TUI: the previous rehearsal journal kept
    aside (with its head sidecar), both clusters rebuilt from the pre-clean-up schema, the
    workspace copied afresh, a real pg_dump backup of sandbox-production. Returns the notes to
    journal and the backup's time (the rehearsal's answer to "note the backup timestamp").
    A rehearsal that continues another (Week 2) keeps the clusters and the workspace instead."""
    book = rehearsal_runbook(runbook_path)
    if book.continues:
        _continue_from(book, say)  # before anything moves: a refusal leaves the old journal in place
    notes: list[dict[str, Any]] = []
    if path.exists():
        archived = path.with_name(f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
        path.rename(archived)
        if head_path(path).exists():
            head_path(path).rename(head_path(archived))
        notes.append({"text": f"previous rehearsal journal kept as {archived.name}"})
        say(f"previous rehearsal journal kept as {archived}")
    if book.continues:
        notes.append({"text": f"continues from the {book.continues} rehearsal's end state: clusters kept, not rebuilt"})
        _add_missing_migrations(clusters.ensure_workspace())
    else:
        for name in clusters.NAMES:
            say(f"Preparing the rehearsal: rebuilding the {name} cluster from the pre-clean-up schema…")
            clusters.reset(name)
        say("Preparing the rehearsal: copying the workspace (backend/, database/)…")
        clusters.ensure_workspace(refresh=True)
    say("Preparing the rehearsal: taking a real pg_dump backup of sandbox-production…")
    backup_file, backup_time = take_backup("sandbox-production")
    say(f"backup taken: {backup_file.name} at {backup_time}")
    notes.append({"text": f"rehearsal backup {backup_file.name} taken with pg_dump",
                  "backup_file": backup_file.name, "backup_time": backup_time})
    return notes, backup_time
