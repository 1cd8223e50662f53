"""Handlers behind each `migration-wizard` subcommand."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from rich.console import Console

from wizard import paths, sandbox
from wizard.answers import file_asker, load_answers
from wizard.console_view import print_result, print_step_start
from wizard.engine import Engine
from wizard.environments import Environment, resolve_environment
from wizard.errors import WizardError
from wizard.journal import Journal, head_path, read_events, verify
from wizard.runbook import load_runbook
from wizard.state import replay
from wizard.steps import needs_database

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
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


def journal_path(explicit: Path | None, env: Environment | None = None) -> Path:
    if explicit:
        return explicit.expanduser()
    if env is None or env.kind == "sandbox":
        return paths.journals_dir() / "rehearsal.jsonl"
    return paths.default_journal()


@contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """One writer per journal: a second wizard on the same file would interleave its events."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WizardError(f"Another migration-wizard is writing {path}.",
                              "Finish or quit that session first; two writers would interleave the journal.") from None
        yield


def open_journal(path: Path, runbook_path: str, title: str) -> Journal:
    from wizard import __version__

    journal = Journal(path)
    if not journal.events:
        from hashlib import sha256

        journal.append("run_started", runbook_path=runbook_path, runbook_title=title,
                       runbook_sha256=sha256(Path(runbook_path).read_bytes()).hexdigest())
    repaired = getattr(journal, "torn_repaired", None)
    if repaired:
        journal.append("journal_repaired", note="a torn last line from an earlier crash was set aside", **repaired)
    if journal.head_problem is not None:  # cut short or rewritten since the last session: keep the evidence
        journal.append("journal_problem_found", kind=journal.head_problem.kind, note=journal.head_problem.what)
    journal.append("session_started", app_version=__version__, pid=os.getpid(), argv=sys.argv[1:])
    return journal


def prepare_environment(env: Environment) -> None:
    if env.kind == "sandbox" and env.name in sandbox.NAMES:  # a sandbox-kind profile is not one of ours
        sandbox.ensure(env.name)
        sandbox.ensure_workspace()


def exit_code_for(outcome: Any) -> int:
    if outcome.ok:
        return EXIT_OK
    if any(r.data.get("answer_missing") and r.step_id == outcome.stopped_at for r in outcome.results):
        return EXIT_USAGE
    return EXIT_FAILED


async def _run_days(console: Console, runbook: Any, plan: list[tuple[str, Environment, Any]], journal: Journal,
                    answers: dict[str, Any], restart: bool = False, source: str = "answers file", *,
                    confirm: Any = None, password: str | None = None) -> list[Any]:
    from wizard import guards, secrets

    # Production writes are gated (staging hashes, fresh backup, typed name). Without a confirmer
    # only the rehearsal's sandbox-production is confirmed, by the rehearsal itself.
    confirm = confirm or guards.rehearsal_confirmer()
    outcomes = []
    for day_id, env, task in plan:
        day = runbook.day(day_id)
        console.rule(f"[bold]{day.id.capitalize()}[/] · {day.title} · on [bold]{env.name.upper()}[/] ({env.kind}, plays {env.role})")
        engine = Engine(runbook, env, journal, ask=file_asker(answers, source), password=password,
                        guards=guards.for_environment(env, confirm),
                        on_start=lambda t, s: print_step_start(console, t, s),
                        on_result=lambda t, s, r: print_result(console, t, s, r))
        engine.secret = secrets.provider(env.name, prefetch=env.name not in sandbox.NAMES)
        outcome = await engine.run_day(day.id, task, restart=restart)
        outcomes.append(outcome)
        if outcome.skipped_as_done:
            console.print(f"[dim]resumed: {len(outcome.skipped_as_done)} steps had already passed in this journal[/]")
        if not outcome.ok:
            break
    return outcomes


def _needs_database(runbook: Any, day_id: str, task_id: str | None) -> bool:
    return any(needs_database(step.kind) for task in runbook.day(day_id).tasks
               if task_id is None or task.id == task_id for step in task.steps)


def production_confirmer(args: Any, env: Environment) -> Any:
    """How production writes are confirmed: --confirm-production NAME, else the name typed at a terminal."""
    from wizard import guards
    from wizard.errors import EnvironmentRefused

    flag = getattr(args, "confirm_production", None)
    if flag is not None:
        if env.role == "production" and flag.strip() != env.name:
            raise EnvironmentRefused(
                f"--confirm-production {flag!r} does not name the environment being run ({env.name}). Nothing was run.",
                f"Name the environment you mean to change: --confirm-production {env.name}.")
        return guards.flag_confirmer(flag.strip())
    if sys.stdin.isatty():
        return guards.typed_confirmer()
    return guards.flag_confirmer(None)


def cmd_run(args: Any, console: Console) -> int:
    runbook = load_runbook(args.runbook)
    env = resolve_environment(args.env)
    runbook.day(args.day)
    prepare_environment(env)
    path = journal_path(args.journal, env)
    answers = load_answers(args.answers)
    confirm = production_confirmer(args, env)
    password = None
    if env.name not in sandbox.NAMES and _needs_database(runbook, args.day, args.task):
        from wizard import secrets

        password = asyncio.run(secrets.verified_password(env))  # asked on first use, re-asked once
    with writer_lock(path):
        journal = open_journal(path, runbook.path, runbook.title)
        outcomes = asyncio.run(_run_days(console, runbook, [(args.day, env, args.task)], journal, answers, args.restart,
                                         confirm=confirm, password=password))
    outcome = outcomes[-1]
    console.print(f"[dim]journal: {path}[/]")
    if outcome.ok:
        console.print(f"[bold green]{outcome.day.capitalize()} passed on {env.name}.[/]")
    else:
        console.print(f"[bold red]Stopped at {outcome.stopped_at} on {env.name}.[/] Fix it, then run the same command to resume.")
    return exit_code_for(outcome)


def status_data(path: Path) -> dict[str, Any]:
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


def cmd_status(args: Any, console: Console) -> int:
    env = resolve_environment(args.env) if args.env else None
    path = journal_path(args.journal, env)
    data = status_data(path)
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return EXIT_OK
    console.print(f"journal: {data['journal']}" + ("" if data["exists"] else " [yellow](not started yet)[/]"))
    console.print(f"run {data['run_id']} · {data['events']} events · {data['sessions']} sessions · integrity: {data['integrity']}")
    for p in data["passes"]:
        state = "passed" if p["ok"] else ("stopped" if p["finished"] else "in progress")
        console.print(f"  {p['day']:<10} on {p['env']:<20} pass {p['pass']}: {state}")
    from rich.table import Table

    table = Table("step", "env", "status", "started", "seconds")
    for s in data["steps"]:
        table.add_row(s["step"], s["env"], s["status"], (s["started_at"] or "")[:19], f"{s['duration_s']:.2f}" if s["duration_s"] is not None else "")
    console.print(table)
    return EXIT_OK


def take_backup(name: str) -> tuple[Path, str]:
    """A real pg_dump of a sandbox cluster: the rehearsal's answer to "note the backup timestamp"."""
    folder = paths.data_dir() / "rehearsal" / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc)
    target = folder / f"{name}-{stamp:%Y%m%dT%H%M%SZ}.dump"
    info = sandbox.conninfo(name)
    subprocess.run([sandbox.tool("pg_dump"), "-Fc", "-h", str(info["host"]), "-U", "postgres", "-f", str(target), "postgres"],
                   check=True, capture_output=True)
    return target, stamp.isoformat(timespec="seconds")


def rehearsal_answers(backup_time: str) -> dict[str, Any]:
    import tomllib

    text = (Path(__file__).parent / "rehearsal" / "answers.toml").read_text()
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
    for name in sandbox.NAMES:
        say(f"Preparing the rehearsal: rebuilding the {name} cluster from the pre-clean-up schema…")
        sandbox.reset(name)
    say("Preparing the rehearsal: copying the workspace (backend/, database/)…")
    sandbox.ensure_workspace(refresh=True)
    say("Preparing the rehearsal: taking a real pg_dump backup of sandbox-production…")
    backup_file, backup_time = take_backup("sandbox-production")
    say(f"backup taken: {backup_file.name} at {backup_time}")
    notes.append({"text": f"rehearsal backup {backup_file.name} taken with pg_dump",
                  "backup_file": backup_file.name, "backup_time": backup_time})
    return notes, backup_time


def cmd_rehearse(args: Any, console: Console) -> int:
    if not args.headless and sys.stdout.isatty() and _tui_available():
        return _open_tui(args, env_name="sandbox-staging", rehearsal=True)
    runbook = load_runbook()
    path = journal_path(args.journal)
    days = [d.strip().lower() for d in args.days.split(",") if d.strip()]
    with writer_lock(path):
        notes, backup_time = prepare_rehearsal(path, lambda text: console.print(f"[dim]{text}[/]", highlight=False))
        journal = open_journal(path, runbook.path, runbook.title)
        for note in notes:
            journal.append("note", **note)
        plan = [(day, resolve_environment(env), list(tasks) if tasks else None) for day, env, tasks in REHEARSAL_PLAN if day in days]
        left_out = [t.id for day, _, tasks in REHEARSAL_PLAN if tasks and day in days
                    for t in runbook.day(day).tasks if t.id not in tasks]
        if left_out:
            journal.append("note", text="tasks not rehearsed", tasks=left_out)
        from wizard.guards import rehearsal_confirmer

        outcomes = asyncio.run(_run_days(console, runbook, plan, journal, rehearsal_answers(backup_time), source="rehearsal answers",
                                         confirm=rehearsal_confirmer()))
        state = replay(journal.events)
    _print_rehearsal_summary(console, state, outcomes, path)
    if left_out:
        console.print(f"[yellow]Not rehearsed[/]: {', '.join(left_out)}")
    return exit_code_for(outcomes[-1]) if outcomes else EXIT_OK


def _print_rehearsal_summary(console: Console, state: Any, outcomes: list[Any], path: Path) -> None:
    facts = state.facts
    console.rule("[bold]Rehearsal summary")
    m012 = facts.get("m012_apply")
    if m012:
        console.print(f"sandbox-staging: {m012['before']['table_count']} tables → {m012['after']['table_count']} after 012 "
                      f"(removed {len(m012['tables_removed'])}: {', '.join(m012['tables_removed'])})")
        console.print(f"core rows before {m012['before']['core_counts']} after {m012['after']['core_counts']}")
    ar = facts.get("ar_columns")
    if ar:
        nullable = {r["column_name"]: r["is_nullable"] for r in ar["rows"]}
        console.print(f"011 on sandbox-staging: agent_recommendations columns {', '.join(r['column_name'] for r in ar['rows'])}; "
                      f"workspace_id NOT NULL: {'yes' if nullable.get('workspace_id') == 'NO' else 'NO'}")
    ats = facts.get("ats_columns")
    if ats:
        nullable = {r["column_name"]: r["is_nullable"] for r in ats["rows"]}
        console.print(f"011 on sandbox-staging: agent_trust_scores.workspace_id NOT NULL: {'yes' if nullable.get('workspace_id') == 'NO' else 'NO'}")
    prod = facts.get("prod_m012_apply")
    if prod:
        console.print(f"sandbox-production: {prod['before']['table_count']} tables → {prod['after']['table_count']} after 012")
    for outcome in outcomes:
        verdict = "[green]passed[/]" if outcome.ok else f"[red]stopped at {outcome.stopped_at}[/]"
        console.print(f"  {outcome.day:<10} on {outcome.env:<20} {verdict} ({len(outcome.results)} steps)")
    console.print(f"[dim]journal: {path}[/]")


def cmd_sandbox(args: Any, console: Console) -> int:
    names = [args.name] if args.name else list(sandbox.NAMES)
    for name in names:
        sandbox.cluster_dir(name)  # validates the name
    if args.action == "url":
        if not args.name:
            raise WizardError("`sandbox url` needs a cluster name.", f"Use one of: {', '.join(sandbox.NAMES)}.")
        print(sandbox.url(args.name))
        return EXIT_OK
    for name in names:
        if args.action == "start":
            sandbox.ensure(name)
            console.print(f"[green]{name}[/] running · {sandbox.url(name)}")
        elif args.action == "stop":
            console.print(f"{name}: {'stopped' if sandbox.stop(name) else 'was not running'}")
        elif args.action == "reset":
            sandbox.reset(name)
            console.print(f"[green]{name}[/] rebuilt from the pre-clean-up schema · {sandbox.url(name)}")
        else:
            st = sandbox.status(name)
            state = "running" if st.running else ("stopped" if st.initialised else "not created yet")
            extra = f" · system id {st.system_identifier} · {st.tables} tables in public" if st.running else ""
            console.print(f"{name}: {state}{extra}\n  {st.path}\n  {st.url}")
    return EXIT_OK


def cmd_runbook(args: Any, console: Console) -> int:
    runbook = load_runbook(args.path)
    if args.action == "check":
        console.print(f"[green]✓[/] {runbook.path}: {len(runbook.days)} days, {len(runbook.tasks())} tasks, "
                      f"{len(runbook.steps())} steps, {len(runbook.troubleshooting)} troubleshooting entries")
        return EXIT_OK
    for day in runbook.days:
        console.print(f"[bold]{day.id.capitalize()}[/] — {day.title}")
        for task in day.tasks:
            console.print(f"  {task.id:<5} {task.title} [dim]({task.estimate_minutes} min, {len(task.steps)} steps)[/]")
    return EXIT_OK


def cmd_journal(args: Any, console: Console) -> int:
    if not args.path.exists():
        raise WizardError(f"No journal at {args.path}.", "Check the path (`migration-wizard status` prints it).")
    result = verify(args.path, fast=True)
    for warning in result.warnings:
        console.print(f"[yellow]note:[/] {warning}")
    if result.intact:
        console.print(f"[green]intact[/]: {result.count} events, hash chain unbroken"
                      + ("" if any("head sidecar" in w for w in result.warnings) else ", head sidecar matches"))
        return EXIT_OK
    first = result.first
    console.print(f"[red]broken[/] at line {first.line}: {first.what}")  # type: ignore[union-attr]
    for problem in [p for p in result.problems if p is not first][:4]:
        console.print(f"  also line {problem.line}: {problem.what}")
    return EXIT_FAILED


def cmd_export(args: Any, console: Console) -> int:
    from wizard.exports import export_all

    path = journal_path(args.journal) if args.journal else next(
        (p for p in (paths.default_journal(), journal_path(None)) if p.exists()), journal_path(None))
    if not path.exists():
        raise WizardError(f"No journal at {path}.", "Run a day first, or name the journal with --journal PATH.")
    out = (args.out or Path.cwd()).expanduser()
    for written in export_all(path, out):
        console.print(f"[green]wrote[/] {written}")
    return EXIT_OK


def cmd_review(args: Any, console: Console) -> int:
    if not args.path.exists():
        raise WizardError(f"No journal at {args.path}.", "Give the path of a saved journal (.jsonl).")
    if not _tui_available():
        raise WizardError("The review screens are not available in this installation.", "Use `migration-wizard export` instead.")
    from screens.review import run_review

    return run_review(args.path)


def _tui_available() -> bool:
    try:
        import screens.app  # noqa: F401
    except ImportError:
        return False
    return True


def _open_tui(args: Any, env_name: str, rehearsal: bool = False) -> int:
    from screens.app import run_app

    return run_app(env_name=env_name, journal=getattr(args, "journal", None), rehearsal=rehearsal)


def cmd_default(args: Any, console: Console) -> int:
    env_name = args.env or "sandbox-staging"
    if args.headless or not _tui_available():
        console.print("The TUI is not available here; use `migration-wizard run --headless …` or `rehearse --headless`.")
        return EXIT_USAGE
    return _open_tui(args, env_name)
