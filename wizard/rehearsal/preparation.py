"""Getting a rehearsal ready: both clusters rebuilt, the workspace copied afresh, a real backup
taken; and the week's plan and answers the rehearsal runs with."""

from __future__ import annotations

import datetime as dt
import subprocess
import tomllib
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


def rehearsal_answers(backup_time: str) -> dict[str, Any]:
    text = (Path(__file__).parent / "answers.toml").read_text()
    return {k: (v.replace("{backup_time}", backup_time) if isinstance(v, str) else v)
            for k, v in tomllib.loads(text)["answers"].items()}


def prepare_rehearsal(path: Path, say: Callable[[str], None]) -> tuple[list[dict[str, Any]], str]:
    """A clean slate for a rehearsal, headless or in the TUI: the previous rehearsal journal kept
    aside (with its head sidecar), both clusters rebuilt from the pre-clean-up schema, the
    workspace copied afresh, a real pg_dump backup of sandbox-production. Returns the notes to
    journal and the backup's time (the rehearsal's answer to "note the backup timestamp")."""
    notes: list[dict[str, Any]] = []
    if path.exists():
        archived = path.with_name(f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
        path.rename(archived)
        if head_path(path).exists():
            head_path(path).rename(head_path(archived))
        notes.append({"text": f"previous rehearsal journal kept as {archived.name}"})
        say(f"previous rehearsal journal kept as {archived}")
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
