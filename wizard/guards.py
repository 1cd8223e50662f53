"""Guards on steps: what must be true before the engine runs a step on an environment.

The role guard (a staging step never runs on production and vice versa) is the engine's own
`check_targets`. This module adds the production gate: a write on a production-role environment
(a migration applied, a service restarted) needs

1. the same migration file, by SHA-256, passed (applied) on a staging-role environment earlier in
   this run (the journal);
2. a backup attested (an attest step with `attests = "backup"`) or taken by the wizard within
   `facts.backup_max_age_hours`;
3. the operator typing the environment's name (not a Y/n). Headless, only
   `--confirm-production NAME` confirms; the rehearsal confirms sandbox-production itself.

A sandbox playing production gets the same gates: that is the point of rehearsing. Refusals are
EnvironmentRefused (exit 2), say what is missing and what to do, and are journaled.

Two more guards, for every environment:

- `migration_order`: an applied migration is refused while an earlier applied migration of the
  runbook (runbook order, for this environment's role) has not passed on this environment in
  this journal: 012 never runs where 011 has not.
- `DropGate`: before a migration that drops tables for good (not a rebuild) is applied on a
  non-production environment, the operator sees what it takes (the session's read-only preview:
  tables, rows, dependents, lint) and confirms. Production shows the same inside its gate.
  Headless: `--confirm-drops` (or `"STEP" = "yes"` in the answers file) confirms; on the wizard's
  own sandboxes a headless run prints the list and goes on (they are rebuilt by `sandbox reset`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from wizard.environments import Environment
from wizard.errors import EnvironmentRefused
from wizard.results import PASSED
from wizard.runbook.model import Step

if TYPE_CHECKING:
    from wizard.engine import Engine

Confirm = Callable[..., Awaitable[str | None]]  # (env, step) or, with_evidence, (env, step, evidence)
ConfirmDrops = Callable[[Environment, Step, dict[str, Any]], Awaitable[bool]]
Previewer = Callable[[Any, Any, str], Awaitable[dict[str, Any]]]  # (conn, path, text): wizard.session.inspect.preview_sql
Guard = Callable[[Step, "Engine"], Awaitable[None]]

DEFAULT_BACKUP_HOURS = 24
CONFIRM_FLAG = "--confirm-production"
CONFIRM_DROPS_FLAG = "--confirm-drops"


def is_production_write(step: Step) -> bool:
    from wizard.steps import writes

    return writes(step)


def prompt_for(env: Environment, step: Step) -> str:
    return (f"{step.title}\nThis changes {env.name.upper()} ({env.kind}, plays {env.role}). "
            f"Type the environment's name ({env.name}) to go on: ")


# --- confirmers ------------------------------------------------------------------------------

def flag_confirmer(value: str | None) -> Confirm:
    """Headless: the name given with --confirm-production, or nothing."""

    async def confirm(env: Environment, step: Step) -> str | None:
        return value

    confirm.source = CONFIRM_FLAG  # type: ignore[attr-defined]
    confirm.headless = True  # type: ignore[attr-defined]
    return confirm


# --- the production gate -------------------------------------------------------------------

def _parse_time(value: Any) -> dt.datetime | None:
    from wizard.steps.attest import AnswerInvalid, parse_timestamp

    if not value:
        return None
    try:
        return parse_timestamp(str(value))
    except AnswerInvalid:
        return None


def backup_attestations(runbook: Any) -> set[str]:
    """The runbook's steps whose answer is a backup's time (attest steps with attests = "backup")."""
    return {s.id for s in runbook.steps() if s.kind == "attest" and s.params.get("attests") == "backup"}


def latest_backup(state: Any, env: str | None = None, attested_by: set[str] | frozenset[str] = frozenset()
                  ) -> tuple[dt.datetime, str] | None:
    """The freshest backup the journal knows: attested in one of the `attested_by` steps (any
    environment: it is the operator's word about the provider's backups), or taken by the wizard
    (a rehearsal's pg_dump, or a `backup` step on `env`: a dump of another server proves nothing)."""
    found: list[tuple[dt.datetime, str]] = []
    for attempt in state.attempts:
        if attempt.step in attested_by and attempt.ok:
            when = _parse_time(attempt.data.get("answer"))
            if when is not None:
                found.append((when, f"attested in step {attempt.step}"))
    for note in state.notes:
        when = _parse_time(note.get("backup_time"))
        if when is not None:
            found.append((when, f"taken by the wizard ({note.get('backup_file') or 'backup'})"))
    for attempt in state.attempts:
        if attempt.kind == "backup" and attempt.result is not None and attempt.result.ok and env in (None, attempt.env):
            when = _parse_time(attempt.result.data.get("taken_at"))
            if when is not None:
                found.append((when, f"taken by the wizard in step {attempt.step} ({attempt.result.data.get('path')})"))
    return max(found, key=lambda f: f[0]) if found else None


def utc_minute(value: Any) -> str:
    """An ISO timestamp as the gates show it, "2026-11-24 14:05 UTC" (anything else as it is)."""
    try:
        return f"{dt.datetime.fromisoformat(str(value)).astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return str(value)


def backup_evidence(engine: "Engine", state: Any, now: dt.datetime) -> dict[str, Any]:
    """The freshest backup this journal knows for the engine's environment, its age against the
    runbook's `facts.backup_max_age_hours`, and where the runbook asks for one (its attest steps)."""
    runbook = engine.runbook
    hours = float(runbook.facts.get("backup_max_age_hours", DEFAULT_BACKUP_HOURS))
    steps = sorted(backup_attestations(runbook))
    where = ("step " + " or ".join(steps)) if steps else "a backup step of the runbook"
    latest = latest_backup(state, engine.env.name, frozenset(steps))
    if latest is None:
        return {"missing": "no backup is attested or taken in this run", "attest_steps": where,
                "max_age_hours": hours}
    when, how = latest
    age_h = (now - when).total_seconds() / 3600
    return {"time": when.isoformat(timespec="seconds"), "how": how, "age_hours": round(age_h, 2),
            "max_age_hours": hours, "too_old": age_h > hours, "attest_steps": where}


def dry_run_evidence(state: Any, env_name: str, sha256: str | None) -> dict[str, Any] | None:
    """The latest dry run of exactly these bytes on this environment: when, its verdict, how long
    its statements took and the catalogue difference it measured (then rolled back)."""
    runs = [m for m in state.migrations
            if m.get("env") == env_name and m.get("mode") == "dry_run" and sha256 and m.get("sha256") == sha256]
    if not runs:
        return None
    last = runs[-1]
    found: dict[str, Any] = {"step": last["step"], "ts": last["ts"], "status": last["status"]}
    result = state.latest(last["step"], env_name)
    data = (getattr(result, "data", None) or {}) if result is not None else {}
    summary = (data.get("catalog_diff") or {}).get("summary")
    if summary:
        found["catalog_diff"] = summary
    times = [t.get("seconds") for t in data.get("statement_times") or [] if isinstance(t.get("seconds"), (int, float))]
    if times:
        found["seconds"] = round(sum(times), 3)
    return found


class ProductionGate:
    """A guard for Engine(guards=[...]): hashes, backup and the typed name before a production write."""

    def __init__(self, confirm: Confirm | None, *, source: str | None = None, headless: bool | None = None,
                 now: Callable[[], dt.datetime] | None = None, say: Callable[[str], None] = lambda text: None,
                 preview: Previewer | None = None, with_evidence: bool = False) -> None:
        self.confirm = confirm
        self.preview = preview  # the migration's blast radius, shown with the typed name
        self.with_evidence = with_evidence  # confirm(env, step, evidence): the face shows what was checked
        self.say = say  # the evidence, shown before the name is asked for
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
        if "sha256" in evidence:
            passed = evidence["staging_pass"]
            self.say(f"{evidence['file']} sha256 {evidence['sha256']}: the file that passed on {passed['env']} "
                     f"(step {passed['step']}, {passed['ts']}); these bytes, read once, are what will run.")
        shown = dict(evidence)
        if step.kind == "migration":
            dry = dry_run_evidence(state, env.name, evidence.get("sha256"))
            shown["dry_run"] = dry or {"none": f"no dry run of these bytes on {env.name} in this journal"}
            if dry is not None:
                evidence["dry_run"] = dry
        if step.kind == "migration" and self.preview is not None:
            shown["preview"] = await preview_migration(step, engine, self.preview)
            if self.headless or not self.with_evidence:
                for line in drop_lines(shown["preview"]):
                    self.say(line)
            evidence["drops"] = [{"table": d.get("table"), "rows": d.get("rows")} for d in shown["preview"].get("drops", [])]
        if self.headless or not self.with_evidence:  # a screen shows these in the dialog
            if "backup" in evidence:
                self.say(backup_line(evidence["backup"]))
            if "dry_run" in shown:
                self.say(dry_run_line(shown["dry_run"]))
        source = self.source
        if self.confirm is None:
            typed = None
        elif self.with_evidence:
            typed = await self.confirm(env, step, shown)
        else:
            typed = await self.confirm(env, step)
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
        from wizard.steps import migration
        from wizard.steps.base import StepFailure

        try:
            # Read once for the step: the bytes hashed here are the bytes the step applies.
            loaded = migration.load(step, engine.context())
        except StepFailure as exc:
            missing.append(f"{exc}, so its hash cannot be compared")
            todo.append("Check the step's file and the workspace.")
            return
        path, sha = loaded.path, loaded.sha256
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
        backup = backup_evidence(engine, state, self.now())
        where = backup["attest_steps"]
        if backup.get("missing"):
            missing.append(backup["missing"])
            todo.append(f"Check the backup and note its time ({where}) before any production change.")
            return
        if backup["too_old"]:
            missing.append(f"the latest backup ({utc_minute(backup['time'])}, {backup['how']}) is {backup['age_hours']:.1f} h "
                           f"old; the runbook needs one from the last {backup['max_age_hours']:g} h")
            todo.append(f"Take a fresh backup, then attest its time ({where}).")
            return
        evidence["backup"] = {k: backup[k] for k in ("time", "how", "age_hours", "max_age_hours", "too_old")}

    def _refuse(self, engine: "Engine", step: Step, missing: list[str], todo: list[str]) -> None:
        env = engine.env
        engine.journal.append("guard_refused", env=env.name, role=env.role, step=step.id, kind=step.kind,
                              missing=missing)
        raise EnvironmentRefused(
            f"Refused: step {step.id} would change {env.name} ({env.kind}, plays production), but "
            + "; and ".join(missing) + ". Nothing was run.",
            " ".join(dict.fromkeys(todo)),
        )


# --- what a migration takes, before it runs ----------------------------------------------------

async def preview_migration(step: Step, engine: "Engine", previewer: Previewer) -> dict[str, Any]:
    """The read-only preview of the migration's file, as the step will read it (the same bytes,
    read once), on the engine's own connection inside a READ ONLY transaction. A preview that
    cannot be computed says why (and lists the drops parsed from the file) instead of failing."""
    from wizard.catalog import read_only
    from wizard.steps import migration
    from wizard.steps.base import StepFailure

    try:
        loaded = migration.load(step, engine.context())
    except StepFailure as exc:
        return {"file": str(step.params.get("file")), "error": str(exc), "drops": [], "lint": [], "statements": []}
    try:
        conn = await engine.connection()
        async with read_only(conn):
            data = await previewer(conn, loaded.path, loaded.text)
    except EnvironmentRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - shown to the operator, who still decides
        from wizard.analysis import analyse_text

        planned = analyse_text(loaded.text, str(loaded.path))
        data = {"file": str(loaded.path), "error": f"the live preview failed: {exc}", "lint": [],
                "statements": _parsed_statements(loaded.text),
                "drops": [{"table": t, "rows": None, "exists": True, "dependents": [], "rebuilt": t in planned.rebuilt_tables}
                          for t in [*planned.dropped_tables, *planned.rebuilt_tables]]}
    data["sha256"] = loaded.sha256
    return data


def _parsed_statements(text: str) -> list[dict[str, Any]]:
    """The file's statements as parsed offline (no catalogue), so what it rewrites is still known
    when the live preview cannot be read."""
    from wizard.statements import split

    try:
        return [s.to_data() for s in split(text)]
    except Exception:  # noqa: BLE001 - unparsable: the step itself says so when it runs
        return []


def lost_tables(preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The tables the file drops for good: present now and not created again by the file."""
    return [d for d in preview.get("drops", []) if d.get("exists", True) and not d.get("rebuilt")]


def rebuilt_tables(preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The tables the file drops and creates again (their rows go unless it copies them)."""
    return [d for d in preview.get("drops", []) if d.get("rebuilt")]


def drop_lines(preview: dict[str, Any]) -> list[str]:
    """The preview as lines of plain text (headless runs print them before asking)."""
    drops = preview.get("drops", [])
    name = Path(str(preview.get("file", "?"))).name
    lines = [f"{name} drops {len(drops)} table{'s' if len(drops) != 1 else ''}:" if drops else f"{name} drops no table."]
    for d in drops:
        rows = "?" if d.get("rows") is None else f"{'~' if d.get('rows_estimated') else ''}{d['rows']:,} rows"
        deps = d.get("dependents") or []
        beyond = [x for x in deps if x.get("beyond")]
        extra = f", {len(deps)} dependents" + (f" ({len(beyond)} beyond the dropped tables)" if beyond else "") if deps else ""
        note = " (rebuilt by the file)" if d.get("rebuilt") else ("" if d.get("exists", True) else " (not present)")
        lines.append(f"  - {d.get('table')}: {rows}{extra}{note}")
    findings = preview.get("lint") or []
    if findings:
        lines.append(f"  squawk: {len(findings)} finding{'s' if len(findings) != 1 else ''} ("
                     + ", ".join(sorted({str(f.get('rule')) for f in findings})) + ")")
    for r in rewrites(preview):
        lines.append(f"  rewrites {rewrite_line(r)}")
    if preview.get("error"):
        lines.append(f"  note: {preview['error']}")
    if "backup" in preview:
        lines.append(f"  {backup_line(preview['backup'])}")
    if preview.get("dry_run"):
        lines.append(f"  {dry_run_line(preview['dry_run'])}")
    return lines


# Statement kinds that take or rewrite data a rollback would need: the operator confirms them first.
REWRITE_KINDS = ("drop column", "alter column type", "backfill", "delete", "truncate")


def rewrites(preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The file's statements that drop columns or rewrite rows: line, kind, tables and columns."""
    found = []
    for s in preview.get("statements", []):
        kinds = [k.strip() for k in str(s.get("kind", "")).split(",")]
        # INSERT … SELECT is a "backfill" too, but adds rows; only an UPDATE's backfill rewrites values.
        hit = [k for k in kinds if k in REWRITE_KINDS and (k != "backfill" or s.get("columns"))]
        if hit:
            found.append({"line": s.get("line"), "kind": ", ".join(dict.fromkeys(hit)),
                          "tables": s.get("rows_written") or s.get("tables") or [], "columns": s.get("columns") or {}})
    return found


def rewrite_line(r: dict[str, Any]) -> str:
    cols = [f"{t}.{c}" for t, cs in (r.get("columns") or {}).items() for c in cs]
    what = ", ".join(cols) if cols else ", ".join(r.get("tables") or []) or "?"
    return f"line {r.get('line')}: {r.get('kind')} {what}"


def backup_line(backup: dict[str, Any] | None) -> str:
    """The one wording of the backup a gate checked, for the terminal, the dialogs and the say lines."""
    if not backup:
        return "Backup: not checked."
    if backup.get("missing"):
        return f"Backup: none — {backup['missing']} ({backup.get('attest_steps')} notes one)."
    age = backup.get("age_hours")
    parts = [f"Backup: {utc_minute(backup.get('time'))}",
             f"{age:.1f} h old" if isinstance(age, (int, float)) else "age unknown"]
    if isinstance(backup.get("max_age_hours"), (int, float)):
        parts[-1] += (f" ({'too old for' if backup.get('too_old') else 'within'} the runbook's "
                      f"{backup['max_age_hours']:g} h)")
    return ", ".join(parts + [str(backup.get("how"))]) + "."


def locks_line(data: dict[str, Any]) -> str | None:
    """What a migration step kept other sessions from, and for how long (its result's data);
    None when it took no lock up front (nothing to lock, or it gave up waiting)."""
    locked = data.get("locked_up_front") or []
    held = data.get("locks_held_s")
    if not locked or not isinstance(held, (int, float)):
        return None
    names = ", ".join(locked[:6]) + (f" and {len(locked) - 6} more" if len(locked) > 6 else "")
    end = "rollback" if data.get("rolled_back") else "commit"
    return (f"Locks: ACCESS EXCLUSIVE up front on {len(locked)} table{'s' if len(locked) != 1 else ''} ({names}), "
            f"held {held:.2f} s to the {end}.")


def dry_run_line(dry: dict[str, Any]) -> str:
    if dry.get("none"):
        return f"Dry run: {dry['none']}."
    parts = [f"Dry run: {dry.get('status')} ({dry.get('step')}, {utc_minute(dry.get('ts'))})"]
    if dry.get("seconds") is not None:
        parts.append(f"statements {dry['seconds']:.2f} s")
    if dry.get("catalog_diff"):
        parts.append(f"catalogue: {dry['catalog_diff']}")
    return ", ".join(parts) + "; rolled back."


def is_destructive_apply(step: Step) -> bool:
    return step.kind == "migration" and step.params.get("mode", "apply") == "apply"


def takes_text(preview: dict[str, Any], *, names: bool = True) -> str:
    """What a migration takes, in a few words: "drop 9 tables (…)", "rebuild 1 table (…)", "rewrite data (…)"
    (without the names in brackets when a list beside it names them)."""
    lost = lost_tables(preview)
    rebuilt = rebuilt_tables(preview)
    rw = rewrites(preview)

    def named(items: list[str], sep: str = ", ") -> str:
        return f" ({sep.join(items)})" if names else ""

    parts = []
    if lost:
        parts.append(f"drop {len(lost)} table{'s' if len(lost) != 1 else ''}" + named([str(d.get("table")) for d in lost]))
    if rebuilt:
        parts.append(f"rebuild {len(rebuilt)} table{'s' if len(rebuilt) != 1 else ''}"
                     + named([str(d.get("table")) for d in rebuilt]))
    if rw:
        parts.append(f"rewrite data in {len(rw)} statement{'s' if len(rw) != 1 else ''}"
                     + named([rewrite_line(r) for r in rw], "; "))
    return " and ".join(parts) or "change nothing it could lose"


class DropGate:
    """Before a migration that drops tables, rebuilds them or rewrites data is applied (off
    production: the production gate shows the same), the operator sees what goes (tables with rows
    and dependents, columns, rewritten rows), the backup and any dry run, and confirms."""

    def __init__(self, confirm: ConfirmDrops | None, preview: Previewer, *, source: str = "confirm",
                 headless: bool = False, say: Callable[[str], None] = lambda text: None) -> None:
        self.confirm, self.preview, self.source, self.headless, self.say = confirm, preview, source, headless, say

    async def __call__(self, step: Step, engine: "Engine") -> None:
        env = engine.env
        if env.role == "production" or not is_destructive_apply(step):
            return
        preview = await preview_migration(step, engine, self.preview)
        lost = lost_tables(preview)
        rebuilt = rebuilt_tables(preview)
        rewritten = rewrites(preview)
        if not (lost or rebuilt or rewritten):
            return
        # What a rollback would rest on, in the same dialog: the backup and any dry run of these bytes.
        state = engine.state()
        preview["backup"] = backup_evidence(engine, state, dt.datetime.now(dt.timezone.utc))
        preview["dry_run"] = dry_run_evidence(state, env.name, preview.get("sha256"))
        if self.headless:
            for line in drop_lines(preview):
                self.say(line)
        ok = bool(await self.confirm(env, step, preview)) if self.confirm is not None else False
        how = self.source
        if not ok:
            if self.headless and env.kind == "sandbox":
                how = "sandbox (headless: shown, not asked)"
            else:
                takes = takes_text(preview)
                engine.journal.append("guard_refused", env=env.name, role=env.role, step=step.id, kind=step.kind,
                                      missing=[f"not confirmed: {takes}"])
                fix = (f"Check the list, then run it again with {CONFIRM_DROPS_FLAG} (or \"{step.id}\" = \"yes\" "
                       "under [answers] in the --answers file)." if self.headless else
                       "Run it again and confirm when asked, if that is what you expect it to take.")
                raise EnvironmentRefused(
                    f"Refused: step {step.id} would {takes} on {env.name}, and that was not confirmed. "
                    "Nothing was run.", fix)
        engine.journal.append("drops_confirmed", env=env.name, role=env.role, step=step.id,
                              file=Path(str(preview.get("file"))).name, sha256=preview.get("sha256"),
                              tables=[{"table": d.get("table"), "rows": d.get("rows")} for d in lost],
                              rebuilt=[str(d.get("table")) for d in rebuilt],
                              rewrites=[{"line": r["line"], "kind": r["kind"]} for r in rewritten],
                              confirmed_by=how)


# --- order between migrations --------------------------------------------------------------------

def _for_role(step: Step, role: str) -> bool:
    return step.target not in ("staging", "production") or step.target == role


async def migration_order(step: Step, engine: "Engine") -> None:
    """An applied migration waits for every earlier applied migration of the runbook (runbook order,
    the ones for this environment's role) to have passed on this environment in this journal."""
    if not is_destructive_apply(step):
        return
    env = engine.env
    earlier: list[Step] = []
    for other in engine.runbook.steps():
        if other.id == step.id:
            break
        if is_destructive_apply(other) and _for_role(other, env.role):
            earlier.append(other)
    if not earlier:
        return
    passed = {m.get("step") for m in engine.state().migrations
              if m.get("env") == env.name and m.get("mode", "apply") == "apply" and m.get("status") == PASSED}
    missing = [s for s in earlier if s.id not in passed]
    if not missing:
        return
    first = missing[0]
    task = engine.runbook.task_of(first.id)
    where = f"task {task.id}, {task.day_id.capitalize()}" if task is not None and task.day_id else "its task"
    engine.journal.append("guard_refused", env=env.name, role=env.role, step=step.id, kind=step.kind,
                          missing=[f"{first.id} has not passed on {env.name}"])
    file = Path(str(first.params.get("file", first.id))).name
    raise EnvironmentRefused(
        f"Refused: step {step.id} ({step.title}) comes after {first.id} ({file}) in the runbook, and {first.id} "
        f"has not passed on {env.name} in this journal. Nothing was run.",
        f"Apply {file} first: run step {first.id} ({where}) on {env.name}, then this one.")


def standard(confirm: Confirm | None, *, confirm_drops: ConfirmDrops | None = None, preview: Previewer | None = None,
             history: Guard | None = None, source: str | None = None, drops_source: str | None = None,
             headless: bool | None = None, say: Callable[[str], None] = lambda text: None,
             with_evidence: bool = False) -> list[Guard]:
    """Every guard a run has, in order (the role guard is the engine's own check_targets): the
    journal's history, migration order, the production gate, and, given a previewer, the drop gate.
    Session.run builds its list here, so a test engine is guarded as a real run is."""
    gate = ProductionGate(confirm, source=source, headless=headless, say=say, preview=preview,
                          with_evidence=with_evidence)
    drops = (DropGate(confirm_drops, preview, source=drops_source or source or "confirm", headless=bool(headless),
                      say=say) if preview is not None else None)
    return [g for g in (history, migration_order, gate, drops) if g is not None]
