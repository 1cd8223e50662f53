"""`restore-table` and `rollback`: undoing a migration from the journal's archives and backups."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from wizard.cli.dialogue import ConsoleDialogue
from wizard.errors import WizardError
from wizard.session import EXIT_OK, EXIT_USAGE, RunOutcome, Session


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    restore = sub.add_parser("restore-table", help="bring one dropped table back from a migration's archive")
    restore.add_argument("name", help="the table (schema.table; public by default)")
    restore.add_argument("--env", required=True)
    restore.add_argument("--from", dest="run", metavar="RUN",
                         help="an older archive: its folder name (or a prefix) or the migration's step id")
    restore.add_argument("--journal", type=Path)
    restore.add_argument("--confirm-production", metavar="NAME",
                         help="headless confirmation on a production-role environment: its name")

    rollback = sub.add_parser("rollback", help="list what can be undone on an environment, and undo one")
    rollback.add_argument("--env", required=True)
    rollback.add_argument("--list", action="store_true", help="print the options and stop")
    rollback.add_argument("--option", type=int, metavar="N", help="do option N (as listed)")
    rollback.add_argument("--journal", type=Path)
    rollback.add_argument("--runbook", type=Path)
    rollback.add_argument("--confirm-production", metavar="NAME",
                          help="headless confirmation on a production-role environment: its name")


def _finish(console: Console, session: Session, outcome: RunOutcome) -> int:
    if outcome.problem is not None:
        raise outcome.problem
    console.print(f"[dim]journal: {session.journal_path}[/]")
    return outcome.exit_code()


def _run(console: Console, session: Session, args: Any, work: Any) -> RunOutcome:
    from wizard.cli.commands import _confirm_flag

    dialogue = ConsoleDialogue(console, {}, confirm_flag=_confirm_flag(args, session))
    with session:
        session.prepare(dialogue.say)

        async def go() -> RunOutcome:
            return await work(dialogue)

        outcome = asyncio.run(go())
    for result in outcome.results:
        _report(console, result)
    return outcome


def _report(console: Console, result: Any) -> None:
    data = result.data
    colour = "green" if result.ok else "red"
    console.print(f"[{colour}]{'✓' if result.ok else '✗'} {escape(result.step_id)}[/] [dim]({result.status}, "
                  f"{result.duration_s:.2f}s)[/]")
    if result.error:
        console.print(f"  {escape(result.error)}")
    for name in data.get("restored", []):
        console.print(f"  restored {escape(name)}: {data['rows'][name]:,} rows (archived: {data['archived_rows'][name]:,})")
        fingerprint = (data.get("fingerprints") or {}).get(name) or {}
        archived = fingerprint.get("archived") or {}
        if fingerprint and archived.get("hash") == fingerprint.get("hash"):
            console.print(f"  content fingerprint {fingerprint['hash'][:12]}, the same as when it was archived")
        elif fingerprint and not archived:
            console.print(f"  content fingerprint {fingerprint['hash'][:12]} (the archive predates fingerprints)")
    for fk in data.get("foreign_keys_restored", []):
        console.print(f"  foreign key put back: {escape(fk)}")
    for fk in data.get("foreign_keys_not_restored", []):
        console.print(f"  [yellow]foreign key not put back[/]: {escape(fk)}")
    if "table_count" in data:
        console.print(f"  {data['table_count']} base tables in public now")


def cmd_restore_table(args: Any, console: Console) -> int:
    from wizard.session.rollback import archive_for, restore_table

    session = Session.open(args.env, journal=args.journal)
    archive_for(session, args.name, args.run)  # a missing archive is said before anything opens
    outcome = _run(console, session, args, lambda d: restore_table(session, args.name, run=args.run, dialogue=d))
    return _finish(console, session, outcome)


def cmd_rollback(args: Any, console: Console) -> int:
    from wizard.session.rollback import options, perform

    session = Session.open(args.env, journal=args.journal, runbook=args.runbook)
    found = options(session)
    if args.list or args.option is None:
        console.print(f"What can be undone on [bold]{escape(session.env.name.upper())}[/] ({session.env.kind}, "
                      f"plays {session.env.role}), newest first:")
        for option in found:
            runs = "" if option.step is not None else " [dim](by hand)[/]"
            console.print(f"  [bold]{option.number}[/]. {escape(option.title)}{runs}")
            for line in option.detail:
                console.print(f"       {escape(line)}")
        if args.list:
            return EXIT_OK
        if not sys.stdin.isatty():
            raise WizardError("Which option? Nobody is at a terminal to choose.",
                              f"Run `migration-wizard rollback --env {session.env.name} --option N`.")
        answer = input("Option number (empty: none): ").strip()
        if not answer:
            return EXIT_OK
        if not answer.isdigit():
            console.print(f"{answer!r} is not an option number. Nothing was done.")
            return EXIT_USAGE
        args.option = int(answer)
    outcome = _run(console, session, args, lambda d: perform(session, args.option, dialogue=d))
    return _finish(console, session, outcome)


HANDLERS = {"restore-table": cmd_restore_table, "rollback": cmd_rollback}
