"""The `migration-wizard` command: the TUI by default, and headless subcommands for scripts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console

from wizard.errors import WizardError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 with one clear line
        self.print_usage(sys.stderr)
        print(f"migration-wizard: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="migration-wizard", description=__doc__)
    parser.add_argument("--env", help="environment to open the wizard on (default: sandbox-staging)")
    parser.add_argument("--headless", action="store_true", help="plain output, no TUI")
    parser.add_argument("--journal", type=Path, help="journal file (default: under the user data dir)")
    parser.add_argument("--runbook", type=Path, help="runbook to open (default: the journal's own, else the shipped Week 1)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run one day (or one task) of the runbook")
    run.add_argument("--headless", action="store_true", help="plain output (the TUI runs days from its screens)")
    run.add_argument("--env", required=True)
    run.add_argument("--day", required=True)
    run.add_argument("--task")
    run.add_argument("--journal", type=Path)
    run.add_argument("--answers", type=Path, help="TOML file answering attest steps")
    run.add_argument("--restart", action="store_true", help="start the day afresh instead of resuming")
    run.add_argument("--runbook", type=Path, help="runbook file (default: the journal's own, else the shipped Week 1)")
    run.add_argument("--confirm-production", metavar="NAME",
                     help="headless confirmation of production writes: the environment's name")
    run.add_argument("--confirm-drops", action="store_true",
                     help="headless confirmation of a migration that drops, rebuilds or rewrites (what it takes is printed first)")

    status = sub.add_parser("status", help="what the journal says has happened")
    status.add_argument("--json", action="store_true")
    status.add_argument("--journal", type=Path)
    status.add_argument("--env", help="which default journal to read (sandbox or real)")
    status.add_argument("--runbook", type=Path, help="which runbook's default journal to read")

    rehearse = sub.add_parser("rehearse", help="rehearse the week on the embedded sandbox clusters")
    rehearse.add_argument("--headless", action="store_true")
    rehearse.add_argument("--new", action="store_true",
                          help="start a new week: keep the current rehearsal journal aside and rebuild both clusters "
                               "(without it, the rehearsal reopens the week where it stopped)")
    rehearse.add_argument("--journal", type=Path)
    rehearse.add_argument("--days", default="monday,tuesday,wednesday,thursday,friday")
    rehearse.add_argument("--runbook", help="week1 (default), week2 (continues from week 1's end state), or a runbook file")

    sandbox = sub.add_parser("sandbox", help="the embedded rehearsal clusters")
    sandbox.add_argument("action", choices=["start", "stop", "reset", "status", "url"])
    sandbox.add_argument("name", nargs="?")
    sandbox.add_argument("--empty", action="store_true",
                         help="with reset: a blank Supabase project (roles, auth, storage, extensions; no tables), on PostgreSQL 15")

    runbook = sub.add_parser("runbook", help="check, show or start a runbook file")
    runbook.add_argument("action", choices=["check", "show", "new"])
    runbook.add_argument("path", nargs="?", type=Path)

    journal = sub.add_parser("journal", help="journal tools")
    journal.add_argument("action", choices=["verify"])
    journal.add_argument("path", type=Path)

    export = sub.add_parser("export", help="write the week's documents from the journal")
    export.add_argument("--out", type=Path, help="folder to write into (default: the current folder)")
    export.add_argument("--journal", type=Path)
    export.add_argument("--runbook", type=Path, help="which runbook's default journal to export")

    review = sub.add_parser("review", help="review a saved journal offline (no database, nothing runs)")
    review.add_argument("path", type=Path)

    preview = sub.add_parser("preview", help="what a migration file will do, read from the live catalogue (read only)")
    preview.add_argument("file", type=Path)
    preview.add_argument("--env", required=True)
    preview.add_argument("--json", action="store_true")
    preview.add_argument("--journal", type=Path, help="journal holding the environment's pin")

    fingerprint = sub.add_parser("fingerprint", help="row counts and content fingerprints of every table (read only)")
    fingerprint.add_argument("--env", required=True)
    fingerprint.add_argument("--table", action="append", help="schema.table (repeatable; default: every table)")
    fingerprint.add_argument("--json", action="store_true")
    fingerprint.add_argument("--journal", type=Path, help="journal holding the environment's pin")

    from wizard.cli import env

    env.add_parser(sub, _Parser)
    from wizard.cli import rollback

    rollback.add_parsers(sub, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    try:
        from wizard.cli import commands

        if args.command == "env":
            from wizard.cli.env import cmd_env as handler
        elif args.command in ("restore-table", "rollback"):
            from wizard.cli.rollback import HANDLERS

            handler = HANDLERS[args.command]
        else:
            handler = getattr(commands, f"cmd_{args.command or 'default'}")
        return int(handler(args, console) or 0)
    except WizardError as exc:
        from rich.markup import escape  # messages are plain text: "[environments.x]" is not markup

        from wizard.redact import redact

        err.print(f"[bold red]✗[/] {escape(redact(exc.what))}")
        if exc.fix:
            err.print(f"  [yellow]→[/] {escape(redact(exc.fix))}")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("Interrupted. The journal holds everything up to this point; `run` resumes from it.")
        return 130

