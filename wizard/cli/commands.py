"""Handlers behind each `migration-wizard` subcommand: they parse, call the session layer, print."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from wizard.cli.console import print_result, print_step_start
from wizard.cli.dialogue import ConsoleDialogue
from wizard.cli.launch import open_review, open_tui, tui_available
from wizard.errors import EnvironmentRefused, WizardError
from wizard.session import EXIT_OK, EXIT_USAGE, AnswersDialogue, RunOutcome, Session, load_answers, tools
from wizard.session.rehearsal import REHEARSAL_PLAN, rehearsal_summary

EXIT_FAILED = 1


def _confirm_flag(args: Any, session: Session) -> str | None:
    flag = getattr(args, "confirm_production", None)
    if flag is None:
        return None
    env = session.env
    if env.role == "production" and flag.strip() != env.name:
        raise EnvironmentRefused(
            f"--confirm-production {flag!r} does not name the environment being run ({env.name}). Nothing was run.",
            f"Name the environment you mean to change: --confirm-production {env.name}.")
    return flag.strip()


def _print_day_header(console: Console, session: Session, day_id: str) -> None:
    day, env = session.runbook.day(day_id), session.env
    console.rule(f"[bold]{day.id.capitalize()}[/] · {day.title} · on [bold]{env.name.upper()}[/] ({env.kind}, plays {env.role})")


async def _run(console: Console, session: Session, day_id: str, tasks: list[str] | None, dialogue: Any,
               restart: bool = False) -> RunOutcome:
    _print_day_header(console, session, day_id)
    outcome = await session.run(day_id, tasks, restart=restart, dialogue=dialogue,
                                on_start=lambda t, s: print_step_start(console, t, s),
                                on_result=lambda t, s, r: print_result(console, t, s, r))
    if outcome.day is not None and outcome.day.skipped_as_done:
        console.print(f"[dim]resumed: {len(outcome.day.skipped_as_done)} steps had already passed in this journal[/]")
    return outcome


def cmd_run(args: Any, console: Console) -> int:
    session = Session.open(args.env, journal=args.journal, runbook=args.runbook)
    day = session.runbook.day(args.day)
    tasks = [args.task] if args.task else None
    if args.task:
        session.runbook.task(args.task)
    dialogue = ConsoleDialogue(console, load_answers(args.answers), confirm_flag=_confirm_flag(args, session))
    with session:
        session.prepare(dialogue.say)
        outcome = asyncio.run(_run(console, session, day.id, tasks, dialogue, args.restart))
    if outcome.problem is not None:
        raise outcome.problem
    console.print(f"[dim]journal: {session.journal_path}[/]")
    what = f"Task {args.task}" if args.task else day.id.capitalize()
    if outcome.ok:
        console.print(f"[bold green]{what} passed on {session.env.name}.[/]")
    else:
        console.print(f"[bold red]Stopped at {outcome.stopped_at} on {session.env.name}.[/] Fix it, then run the same command to resume.")
    return outcome.exit_code()


def cmd_status(args: Any, console: Console) -> int:
    path = tools.default_status_journal(args.journal, args.env)
    data = tools.status_data(path)
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


def cmd_rehearse(args: Any, console: Console) -> int:
    if not args.headless and sys.stdout.isatty() and tui_available():
        return open_tui(env_name="sandbox-staging", journal=args.journal, rehearsal=True)
    days = [d.strip().lower() for d in args.days.split(",") if d.strip()]
    session = Session.open("sandbox-staging", journal=args.journal, rehearsal=True)
    for day in days:
        session.runbook.day(day)
    plan = [(day, env, tasks) for day, env, tasks in REHEARSAL_PLAN if day in days]
    say = lambda text: console.print(f"[dim]{text}[/]", highlight=False)  # noqa: E731
    outcomes: list[RunOutcome] = []
    with session:
        session.prepare(say)
        # The rehearsal answers its own questions and confirms its own sandbox-production.
        dialogue = AnswersDialogue(session.rehearsal_answers, source="rehearsal answers", confirm="sandbox-production",
                                   confirm_source="rehearsal", say=say)

        async def walk() -> None:
            for day, env_name, tasks in plan:
                session.switch_to(env_name)
                outcome = await _run(console, session, day, list(tasks) if tasks else None, dialogue)
                outcomes.append(outcome)
                if not outcome.ok:
                    break

        asyncio.run(walk())
    console.rule("[bold]Rehearsal summary")
    for line in rehearsal_summary(session, outcomes):
        console.print(line, highlight=False)
    console.print(f"[dim]journal: {session.journal_path}[/]")
    if outcomes and outcomes[-1].problem is not None:
        raise outcomes[-1].problem
    return outcomes[-1].exit_code() if outcomes else EXIT_OK


def cmd_sandbox(args: Any, console: Console) -> int:
    names = [args.name] if args.name else list(tools.SANDBOX_NAMES)
    if args.action == "url":
        if not args.name:
            raise WizardError("`sandbox url` needs a cluster name.", f"Use one of: {', '.join(tools.SANDBOX_NAMES)}.")
        print(tools.sandbox_url(args.name))
        return EXIT_OK
    for name in names:
        done = tools.sandbox_action(args.action, name)
        if args.action == "start":
            console.print(f"[green]{name}[/] running · {done}")
        elif args.action == "stop":
            console.print(f"{name}: {'stopped' if done else 'was not running'}")
        elif args.action == "reset":
            console.print(f"[green]{name}[/] rebuilt from the pre-clean-up schema · {done}")
        else:
            state = "running" if done.running else ("stopped" if done.initialised else "not created yet")
            extra = f" · system id {done.system_identifier} · {done.tables} tables in public" if done.running else ""
            console.print(f"{name}: {state}{extra}\n  {done.path}\n  {done.url}")
    return EXIT_OK


def cmd_runbook(args: Any, console: Console) -> int:
    runbook = tools.runbook(args.path)
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
    result = tools.verify_journal(args.path)
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
    path = tools.export_journal_path(args.journal)
    out = (args.out or Path.cwd()).expanduser()
    for written in tools.export(path, out):
        console.print(f"[green]wrote[/] {written}")
    return EXIT_OK


def cmd_review(args: Any, console: Console) -> int:
    if not args.path.exists():
        raise WizardError(f"No journal at {args.path}.", "Give the path of a saved journal (.jsonl).")
    if not tui_available():
        raise WizardError("The review screens are not available in this installation.", "Use `migration-wizard export` instead.")
    return open_review(args.path)


def cmd_default(args: Any, console: Console) -> int:
    if args.headless or not tui_available():
        console.print("The TUI is not available here; use `migration-wizard run --headless …` or `rehearse --headless`.")
        return EXIT_USAGE
    return open_tui(env_name=args.env or "sandbox-staging", journal=args.journal)


def cmd_preview(args: Any, console: Console) -> int:
    from wizard.cli.inspect import print_preview
    from wizard.session.inspect import preview

    data = preview(args.file, args.env, asker=_asker(), say=lambda text: console.print(f"[dim]{text}[/]"),
                   journal=args.journal)
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print_preview(console, data, args.env)
    return EXIT_OK


def cmd_fingerprint(args: Any, console: Console) -> int:
    from wizard.cli.inspect import print_fingerprints
    from wizard.session.inspect import fingerprint_tables

    data = fingerprint_tables(args.env, args.table or None, asker=_asker(), journal=args.journal)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_fingerprints(console, data, args.env)
    return EXIT_OK


def _asker() -> Any:
    from wizard.session.environments import ask_password

    return ask_password
