"""Handlers behind each `migration-wizard` subcommand: they parse, call the session layer, print."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from wizard.cli.console import ProgressLine, print_result, print_step_start
from wizard.cli.dialogue import ConsoleDialogue
from wizard.cli.launch import open_review, open_tui, tui_available
from wizard.errors import EnvironmentRefused, WizardError
from wizard.session import EXIT_OK, EXIT_USAGE, RehearsalDialogue, RunOutcome, Session, load_answers, tools
from wizard.session.rehearsal import REHEARSAL_PLAN, rehearsal_summary
from wizard.session.views import PASSED, day_summary


def day_passed(state: Any, env: str, role: str, day: Any) -> bool:
    return day_summary(state, env, role, day).verdict == PASSED

EXIT_FAILED = 1
DEFAULT_DAYS = "monday,tuesday,wednesday,thursday,friday"


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
    progress = ProgressLine(console)

    def result(task: Any, step: Any, outcome: Any) -> None:
        progress.clear()
        print_result(console, task, step, outcome)

    outcome = await session.run(day_id, tasks, restart=restart, dialogue=dialogue,
                                on_start=lambda t, s: print_step_start(console, t, s),
                                on_result=result, on_progress=progress if console.is_terminal else None)
    if outcome.day is not None and outcome.day.skipped_as_done:
        console.print(f"[dim]resumed: {len(outcome.day.skipped_as_done)} steps had already passed in this journal[/]")
    return outcome


def cmd_run(args: Any, console: Console) -> int:
    session = Session.open(args.env, journal=args.journal, runbook=args.runbook)
    day = session.runbook.day(args.day)
    tasks = [args.task] if args.task else None
    if args.task:
        session.runbook.task(args.task)
    dialogue = ConsoleDialogue(console, load_answers(args.answers), confirm_flag=_confirm_flag(args, session),
                               confirm_drops=bool(getattr(args, "confirm_drops", False)))
    _say_runbook_note(session.runbook_note)
    index = [d.id for d in session.runbook.days].index(day.id)
    for finding in tools.lint_runbook(session.runbook, strict_files=False):
        if finding.keypath.startswith(f"days[{index}]."):
            print(f"warning: {finding}", file=sys.stderr)
    with session:
        session.prepare(dialogue.say)
        outcome = asyncio.run(_run(console, session, day.id, tasks, dialogue, args.restart))
    if outcome.problem is not None:
        raise outcome.problem
    console.print(f"[dim]journal: {session.journal_path}[/]")
    if not outcome.ok:
        task = session.runbook.task_of(outcome.stopped_at) if outcome.stopped_at else None
        where = f"task {task.id} (step {outcome.stopped_at})" if task else str(outcome.stopped_at)
        console.print(f"[bold red]Stopped at {where} on {session.env.name}.[/] Fix it, then run the same command to resume.")
    elif args.task:
        console.print(f"[bold green]Task {args.task} passed on {session.env.name}.[/]")
    else:
        _print_day_verdict(console, session, day)
    return outcome.exit_code()


def _print_day_verdict(console: Console, session: Session, day: Any) -> None:
    """A day passed when every task of it has, in this journal: the fold decides, not this run alone."""
    from wizard.session.views import PASSED

    state = session.state().day_state(day, session.env.name)
    if state.verdict == PASSED:
        console.print(f"[bold green]{day.id.capitalize()} passed on {session.env.name}.[/]")
    else:
        console.print(f"[bold yellow]{day.id.capitalize()} on {session.env.name}: {state.done} of {state.total} tasks "
                      f"done ({state.verdict}).[/]")


def _say_runbook_note(note: str) -> None:
    if note:
        print(f"note: {note}", file=sys.stderr)


def cmd_status(args: Any, console: Console) -> int:
    path = tools.default_status_journal(args.journal, args.env, args.runbook)
    data = tools.status_data(path, args.runbook)
    broken = data["exists"] and data["integrity"] != "intact"
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return EXIT_FAILED if broken else EXIT_OK
    console.print(f"journal: {data['journal']}" + ("" if data["exists"] else " [yellow](not started yet)[/]"))
    if data["runbook"].get("title"):
        console.print(f"runbook: {data['runbook']['title']} · {data['runbook']['path']}")
    _say_runbook_note(data["runbook"].get("note", ""))
    console.print(f"run {data['run_id']} · {data['events']} events · {data['sessions']} sessions · integrity: {data['integrity']}")
    for p in data["passes"]:
        state = "passed" if p["ok"] else ("stopped" if p["finished"] else "in progress")
        scope = f" (tasks {', '.join(p['tasks'])} only)" if p["tasks"] else ""
        console.print(f"  {p['day']:<10} on {p['env']:<20} pass {p['pass']}{scope}: {state}")
    for d in data["days"]:
        console.print(f"  {d['day']:<10} on {d['env']:<20} {d['done']} of {d['total']} tasks done: {d['state']}")
    from rich.table import Table

    table = Table("step", "env", "status", "started", "seconds")
    for s in data["steps"]:
        status = s["status"] + (" (file changed: re-checked on resume)" if s.get("file_changed") else "")
        table.add_row(s["step"], s["env"], status, (s["started_at"] or "")[:19], f"{s['duration_s']:.2f}" if s["duration_s"] is not None else "")
    console.print(table)
    if broken:
        console.print(f"[bold red]integrity: BROKEN[/]: {data['integrity'][0]}\n  Keep the journal as evidence "
                      f"(`migration-wizard journal verify {data['journal']}`); `run` refuses it: start a new one with --journal NEW.jsonl.")
        return EXIT_FAILED
    return EXIT_OK


def cmd_rehearse(args: Any, console: Console) -> int:
    from wizard.session.rehearsal import rehearsal_runbook

    book = rehearsal_runbook(args.runbook)  # week1 (default), week2, or a runbook file
    if not args.headless and sys.stdout.isatty() and tui_available():
        return open_tui(env_name="sandbox-staging", journal=args.journal, rehearsal=True, runbook=book.path,
                        new_week=args.new)
    days = [d.strip().lower() for d in args.days.split(",") if d.strip()]
    # Each rehearsed runbook keeps a journal of its own (week 1's stays rehearsal.jsonl). Headless
    # resumes too (a CI run starts from a fresh data dir, so it is a full rehearsal there): days that
    # already passed in this journal are not run again; --new starts a new week.
    session = Session.open("sandbox-staging", journal=args.journal, rehearsal=True, runbook=book.path, new_week=args.new)
    own_days = {d.id for d in session.runbook.days}
    if args.days == DEFAULT_DAYS:  # a runbook of fewer days rehearses the days it has
        days = [d for d in days if d in own_days]
    for day in days:
        session.runbook.day(day)
    plan = [(day, env, tasks) for day, env, tasks in REHEARSAL_PLAN if day in days]
    say = lambda text: console.print(f"[dim]{text}[/]", highlight=False)  # noqa: E731
    outcomes: list[RunOutcome] = []
    with session:
        session.prepare(say)
        # The rehearsal answers its own questions and confirms its own sandbox-production.
        dialogue = RehearsalDialogue(session.rehearsal_answers, say=say)

        async def walk() -> None:
            for day, env_name, tasks in plan:
                session.switch_to(env_name)
                if day_passed(session.state(), session.env.name, session.env.role, session.runbook.day(day)):
                    say(f"{day.capitalize()} already passed on {env_name} in this journal: not run again "
                        "(`rehearse --headless --new` starts a new week)")
                    continue
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
    if book.name != "week1" and outcomes and outcomes[-1].ok:  # a later week writes its documents at its end
        for written in session.export(session.default_export_dir()):
            console.print(f"[green]wrote[/] {written}")
    return outcomes[-1].exit_code() if outcomes else EXIT_OK


def cmd_sandbox(args: Any, console: Console) -> int:
    names = [args.name] if args.name else list(tools.SANDBOX_NAMES)
    if args.action == "url":
        if not args.name:
            raise WizardError("`sandbox url` needs a cluster name.", f"Use one of: {', '.join(tools.SANDBOX_NAMES)}.")
        print(tools.sandbox_url(args.name))
        return EXIT_OK
    if args.empty and args.action != "reset":
        raise WizardError("--empty only goes with `sandbox reset`.", "Use: migration-wizard sandbox reset NAME --empty")
    for name in names:
        done = tools.sandbox_action(args.action, name, empty=args.empty)
        if args.action == "start":
            console.print(f"[green]{name}[/] running · {done}")
        elif args.action == "stop":
            console.print(f"{name}: {'stopped' if done else 'was not running'}")
        elif args.action == "reset":
            what = "as a blank Supabase project (PostgreSQL 15)" if args.empty else "from the pre-clean-up schema"
            console.print(f"[green]{name}[/] rebuilt {what} · {done}")
            missing = tools.missing_supabase_extensions() if args.empty else []
            if missing:
                console.print(f"[yellow]note[/]: {', '.join(missing)} is not installed for PostgreSQL 15 here, so a "
                              "migration that creates it fails; as root: bash scripts/install-pgvector.sh")
        else:
            state = "running" if done.running else ("stopped" if done.initialised else "not created yet")
            extra = f" · system id {done.system_identifier} · {done.tables} tables in public" if done.running else ""
            extra += f" · {done.contents} on {done.build}" if done.initialised else ""
            console.print(f"{name}: {state}{extra}\n  {done.path}\n  {done.url}")
    return EXIT_OK


def cmd_runbook(args: Any, console: Console) -> int:
    if args.action == "new":
        if args.path is None:
            raise WizardError("`runbook new` needs the path of the file to write.", "e.g. migration-wizard runbook new billing.toml")
        written = tools.new_runbook(args.path)
        console.print(f"[green]wrote[/] {written}; check it with `migration-wizard runbook check {written}`")
        return EXIT_OK
    runbook = tools.runbook(args.path)
    if args.action == "check":
        findings = tools.lint_runbook(runbook)
        for finding in findings:
            label = "[red]error[/]" if finding.error else "[yellow]warning[/]"
            console.print(f"{label} ", end="")
            console.print(str(finding), markup=False, highlight=False)
        errors = sum(f.error for f in findings)
        if errors:
            console.print(f"[red]✗[/] {runbook.path}: {errors} problem{'s' if errors > 1 else ''} to fix before it runs")
            return EXIT_USAGE
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
    path = tools.export_journal_path(args.journal, args.runbook)
    out = (args.out or Path.cwd()).expanduser()
    for written in tools.export(path, out):
        console.print(f"[green]wrote[/] {written}")
    return EXIT_OK


def cmd_review(args: Any, console: Console) -> int:
    tools.reviewable(args.path)
    if not tui_available():
        raise WizardError("The review screens are not available in this installation.", "Use `migration-wizard export` instead.")
    return open_review(args.path)


def cmd_default(args: Any, console: Console) -> int:
    if args.headless or not tui_available():
        console.print("The TUI is not available here; use `migration-wizard run --headless …` or `rehearse --headless`.")
        return EXIT_USAGE
    return open_tui(env_name=args.env or "sandbox-staging", journal=args.journal, runbook=args.runbook)


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
