"""`migration-wizard env add|list|test|forget`: environment profiles, their secrets and their pins."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape


class _Envs:
    """wizard.session.environments (psycopg, keyring, tomlkit…), imported when an `env` command
    runs, not when the parser is built: the TUI's first frame does not wait for it."""

    def __getattr__(self, name: str) -> Any:
        from wizard.session import environments

        return getattr(environments, name)


envs: Any = _Envs()

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any, parser_class: Any) -> None:
    env = sub.add_parser("env", help="environment profiles: add, list, test, forget")
    actions = env.add_subparsers(dest="env_action", parser_class=parser_class, required=True)

    add = actions.add_parser("add", help="add an environment profile (non-interactive with --url)")
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=["sandbox", "staging", "production"])
    add.add_argument("--url", required=True, metavar="CONNINFO",
                     help="libpq URI (postgresql://user@host:5432/db) or key=value string; a password in it goes to the OS keyring")
    add.add_argument("--role", choices=["staging", "production"], help="which role a sandbox-kind profile plays")
    add.add_argument("--workspace", type=Path, help="the application's repo root (holds backend/, database/)")
    add.add_argument("--colour", help="banner colour override (never another kind's colour)")
    add.add_argument("--pooler", action="store_true", help="a transaction pooler (port 6543 implies it)")
    add.add_argument("--description")
    add.add_argument("--ask-token", action="store_true", help="ask for the API token (JWT) and keep it in the OS keyring")
    add.add_argument("--replace", action="store_true", help="redefine an existing profile (its pins stay in the journal)")

    actions.add_parser("list", help="the built-in sandboxes and your profiles")

    test = actions.add_parser("test", help="connect; print the server version, fingerprint and pin status")
    test.add_argument("name")
    test.add_argument("--journal", type=Path, help="journal whose pins to compare with (default: the environment's)")

    forget = actions.add_parser("forget", help="remove a profile's keyring secrets (or, with --pin, its pin)")
    forget.add_argument("name")
    forget.add_argument("--pin", action="store_true", help="unpin: the next connection pins the server again")
    forget.add_argument("--profile", action="store_true", help="also remove the profile from the profile file")
    forget.add_argument("--journal", type=Path, help="journal holding the pin (default: the environment's)")


def cmd_env(args: Any, console: Console) -> int:
    handler = {"add": env_add, "list": env_list, "test": env_test, "forget": env_forget}[args.env_action]
    return handler(args, console)


# --- add -----------------------------------------------------------------------------------------

def _print_lines(console: Console, lines: list[tuple[str, str]]) -> None:
    for level, text in lines:
        text = escape(text)
        if level == "ok":
            console.print(f"[green]✓[/] {text}")
        elif level in ("warn", "dim"):
            style = "yellow" if level == "warn" else "dim"
            console.print(f"[{style}]{text}[/]")
        else:
            console.print(text)


def env_add(args: Any, console: Console) -> int:
    added = envs.add_profile(
        args.name, args.kind, args.url, role=args.role,
        workspace=str(args.workspace.expanduser().resolve()) if args.workspace else None,
        colour=args.colour, pooler=args.pooler, description=args.description, replace=args.replace)
    _print_lines(console, added.lines)
    env = added.env
    if args.ask_token:
        token = getpass.getpass(f"API token (JWT) for {env.name}: ") if sys.stdin.isatty() else None
        if token or not sys.stdin.isatty():
            _print_lines(console, [envs.store_token(env.name, token)])
    console.print(f"Next: `migration-wizard env test {env.name}` connects and shows the server it will pin.")
    return EXIT_OK


# --- list -----------------------------------------------------------------------------------------

def env_list(args: Any, console: Console) -> int:
    rows, problem = envs.environment_rows()
    if problem is not None:
        raise problem
    from rich.table import Table

    table = Table("name", "kind", "plays", "colour", "where", "database", "user", "sslmode", "password")
    for row in rows:
        env, info = row.env, row.env.conninfo
        where = ("socket" + (" (pooler)" if info.get("pooler") else "")) if row.where.startswith("/") else row.where
        table.add_row(env.name, env.kind, env.role, env.display_colour, where, row.database,
                      str(info.get("user", "")), str(info.get("sslmode", "")), row.password_text)
    console.print(table)
    console.print(f"[dim]profiles: {escape(str(envs.profiles_location()))} · {escape(envs.keyring_status())}[/]")
    return EXIT_OK


def env_test(args: Any, console: Console) -> int:
    tested = envs.test_environment(args.name, getattr(args, "journal", None))
    _print_lines(console, tested.lines())
    return EXIT_OK


# --- forget ---------------------------------------------------------------------------------------

def env_forget(args: Any, console: Console) -> int:
    name = args.name
    if args.pin:
        console.print(escape(envs.unpin_environment(name, getattr(args, "journal", None))))
        return EXIT_OK
    console.print(escape(envs.forget_secrets(name)))
    if args.profile:
        console.print(escape(envs.remove_profile(name)))
    return EXIT_OK
