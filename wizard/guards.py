"""Guards on steps: what must be true before the engine runs a step on an environment.

The role guard (a staging step never runs on production and vice versa) is the engine's own
`check_targets`. This module adds the production gate: a write on a production-role environment
(a migration applied, a service restarted) needs

1. the same migration file, by SHA-256, passed (applied) on a staging-role environment earlier in
   this run (the journal);
2. a backup attested (1.4 / 4.1) or taken by the wizard within `facts.backup_max_age_hours`;
3. the operator typing the environment's name (not a Y/n). Headless, only
   `--confirm-production NAME` confirms; the rehearsal confirms sandbox-production itself.

A sandbox playing production gets the same gates: that is the point of rehearsing. Refusals are
EnvironmentRefused (exit 2), say what is missing and what to do, and are journaled.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from wizard.environments import Environment
from wizard.errors import EnvironmentRefused
from wizard.results import PASSED
from wizard.runbook.model import Step

if TYPE_CHECKING:
    from wizard.engine import Engine

Confirm = Callable[[Environment, Step], Awaitable[str | None]]
Guard = Callable[[Step, "Engine"], Awaitable[None]]

BACKUP_FACTS = ("prod_backup", "backup")  # save_as of 4.1.backup and 1.4.backup in week1.toml
DEFAULT_BACKUP_HOURS = 24
CONFIRM_FLAG = "--confirm-production"


def is_production_write(step: Step) -> bool:
    from wizard.steps import writes

    return writes(step)


def prompt_for(env: Environment, step: Step) -> str:
    return (f"{step.title}\nThis changes {env.name.upper()} ({env.kind}, plays {env.role}). "
            f"Type the environment's name ({env.name}) to go on: ")


# --- confirmers ------------------------------------------------------------------------------

def typed_confirmer(read: Callable[[str], str] = input) -> Confirm:
    """The CLI: the operator types the name at the terminal."""

    async def confirm(env: Environment, step: Step) -> str | None:
        try:
            return await asyncio.to_thread(read, prompt_for(env, step))
        except (EOFError, KeyboardInterrupt):
            return None

    confirm.source = "typed"  # type: ignore[attr-defined]
    return confirm


def flag_confirmer(value: str | None) -> Confirm:
    """Headless: the name given with --confirm-production, or nothing."""

    async def confirm(env: Environment, step: Step) -> str | None:
        return value

    confirm.source = CONFIRM_FLAG  # type: ignore[attr-defined]
    confirm.headless = True  # type: ignore[attr-defined]
    return confirm


def rehearsal_confirmer() -> Confirm:
    """The rehearsal confirms its own sandbox-production, and nothing else."""

    async def confirm(env: Environment, step: Step) -> str | None:
        return env.name if env.kind == "sandbox" and env.name == "sandbox-production" else None

    confirm.source = "rehearsal"  # type: ignore[attr-defined]
    return confirm


# --- the production gate -------------------------------------------------------------------

def file_sha256(path: Path) -> str:
    """As the migration step hashes it (wizard.analysis: the text, UTF-8)."""
    return hashlib.sha256(path.read_text().encode()).hexdigest()


def _parse_time(value: Any) -> dt.datetime | None:
    from wizard.steps.attest import AnswerInvalid, parse_timestamp

    if not value:
        return None
    try:
        return parse_timestamp(str(value))
    except AnswerInvalid:
        return None


def latest_backup(state: Any) -> tuple[dt.datetime, str] | None:
    """The freshest backup the journal knows: attested (4.1, 1.4) or taken by the wizard."""
    found: list[tuple[dt.datetime, str]] = []
    for fact in BACKUP_FACTS:
        data = state.facts.get(fact)
        when = _parse_time((data or {}).get("answer"))
        if when is not None:
            env, step = state.fact_sources.get(fact, ("", fact))
            found.append((when, f"attested in step {step}"))
    for note in state.notes:
        when = _parse_time(note.get("backup_time"))
        if when is not None:
            found.append((when, f"taken by the wizard ({note.get('backup_file') or 'backup'})"))
    return max(found, key=lambda f: f[0]) if found else None


class ProductionGate:
    """A guard for Engine(guards=[...]): hashes, backup and the typed name before a production write."""

    def __init__(self, confirm: Confirm | None, *, source: str | None = None, headless: bool | None = None,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        self.confirm = confirm
        self.source = source or getattr(confirm, "source", "confirm")
        self.headless = getattr(confirm, "headless", False) if headless is None else headless
        self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))

    async def __call__(self, step: Step, engine: "Engine") -> None:
        env = engine.env
        if env.role != "production" or not is_production_write(step):
            return
        state = engine.state()
        missing: list[str] = []
        todo: list[str] = []
        evidence: dict[str, Any] = {}
        if step.kind == "migration":
            self._check_hash(step, engine, state, missing, todo, evidence)
        self._check_backup(engine, state, missing, todo, evidence)
        if missing:
            self._refuse(engine, step, missing, todo)
        source = self.source
        typed = await self.confirm(env, step) if self.confirm is not None else None
        typed = (typed or "").strip()
        if typed != env.name:
            if not typed and (self.confirm is None or self.headless):
                what = f"a headless run on {env.name} needs {CONFIRM_FLAG} {env.name}"
                fix = f"Run it again with {CONFIRM_FLAG} {env.name} (the hashes and the backup are still checked)."
            elif not typed:
                what = f"the environment's name ({env.name}) was not typed"
                fix = f"Run it again and type {env.name} exactly when asked."
            else:
                what = f"the name typed ({typed!r}) is not {env.name!r}"
                fix = f"Type {env.name} exactly: a name, not yes, is the confirmation."
            self._refuse(engine, step, [what], [fix])
        engine.journal.append("production_confirmed", env=env.name, role=env.role, step=step.id,
                              confirmed_by=source, **evidence)

    # -- the checks ----------------------------------------------------------------------------
    def _check_hash(self, step: Step, engine: "Engine", state: Any, missing: list[str], todo: list[str],
                    evidence: dict[str, Any]) -> None:
        try:
            path = engine.context().path(step.params["file"])
            sha = file_sha256(path)
        except (KeyError, OSError, Exception) as exc:  # noqa: BLE001 - any unreadable file is a refusal
            missing.append(f"the migration file cannot be read ({type(exc).__name__}), so its hash cannot be compared")
            todo.append("Check the step's file and the workspace.")
            return
        evidence.update(file=path.name, sha256=sha)
        staged = [m for m in state.migrations
                  if m.get("role") == "staging" and m.get("mode", "apply") == "apply" and m.get("status") == PASSED]
        same = [m for m in staged if m.get("sha256") == sha]
        if same:
            evidence["staging_pass"] = {"env": same[-1]["env"], "step": same[-1]["step"], "ts": same[-1]["ts"]}
            return
        other = [m for m in staged if m.get("file") == path.name]
        if other:
            theirs = other[-1]
            missing.append(f"{path.name} passed on {theirs['env']} with a different file: sha256 "
                           f"{str(theirs.get('sha256'))[:12]}… there, {sha[:12]}… here")
            todo.append(f"Apply exactly this file on staging first (the staging step for {path.name}), "
                        "or restore the file that passed there.")
        else:
            missing.append(f"{path.name} (sha256 {sha[:12]}…) has not passed on a staging environment in this run")
            todo.append(f"Apply it on staging first (Tuesday), in this journal ({engine.journal.path}).")

    def _check_backup(self, engine: "Engine", state: Any, missing: list[str], todo: list[str],
                      evidence: dict[str, Any]) -> None:
        hours = float(engine.runbook.facts.get("backup_max_age_hours", DEFAULT_BACKUP_HOURS))
        latest = latest_backup(state)
        now = self.now()
        if latest is None:
            missing.append("no backup is attested or taken in this run")
            todo.append("Check the backup and note its time (task 4.1) before any production change.")
            return
        when, how = latest
        age_h = (now - when).total_seconds() / 3600
        if age_h > hours:
            missing.append(f"the latest backup ({when:%Y-%m-%d %H:%M} UTC, {how}) is {age_h:.1f} h old; "
                           f"the runbook needs one from the last {hours:g} h")
            todo.append("Take a fresh backup, then attest its time (task 4.1).")
            return
        evidence["backup"] = {"time": when.isoformat(timespec="seconds"), "how": how}

    def _refuse(self, engine: "Engine", step: Step, missing: list[str], todo: list[str]) -> None:
        env = engine.env
        engine.journal.append("guard_refused", env=env.name, role=env.role, step=step.id, kind=step.kind,
                              missing=missing)
        raise EnvironmentRefused(
            f"Refused: step {step.id} would change {env.name} ({env.kind}, plays production), but "
            + "; and ".join(missing) + ". Nothing was run.",
            " ".join(dict.fromkeys(todo)),
        )


def for_environment(env: Environment, confirm: Confirm | None) -> list[Guard]:
    """The guards for an Engine on `env` (the role guard is the engine's own check_targets)."""
    return [ProductionGate(confirm)]
