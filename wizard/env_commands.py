"""`migration-wizard env add|list|test|forget`: environment profiles, their secrets and their pins."""

from __future__ import annotations

import asyncio
import getpass
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from wizard import profiles, secrets
from wizard.environments import SANDBOX_ROLES, Environment, resolve_environment
from wizard.errors import EnvironmentRefused, WizardError
from wizard.redact import redact, register_secret

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

def parse_conninfo(text: str) -> dict[str, str]:
    """A libpq URI or key=value string, as libpq keywords. Errors never echo the text back."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(text)
    except psycopg.Error as exc:
        raise WizardError(f"--url is not a libpq connection URI or key=value string: {redact(str(exc)).strip()}",
                          "Write it like postgresql://postgres@db.<ref>.supabase.co:5432/postgres "
                          "or \"host=db.<ref>.supabase.co port=5432 dbname=postgres user=postgres\".") from None
    return {k: str(v) for k, v in params.items() if v is not None}


def env_add(args: Any, console: Console) -> int:
    params = parse_conninfo(args.url)
    password = params.pop("password", None)
    register_secret(password)
    env = profiles.save_profile(
        args.name, args.kind, role=args.role, conninfo=params,
        workspace=str(args.workspace.expanduser().resolve()) if args.workspace else None,
        colour=args.colour, pooler=True if args.pooler else None, description=args.description, replace=args.replace)
    console.print(f"[green]✓[/] {env.name} saved in {profiles.profiles_path()}: {_where(env)}")
    if password:
        if secrets.set_secret(env.name, secrets.DB_PASSWORD, password):
            console.print(f"The password in the URL was moved to the OS keyring (service {secrets.SERVICE}, "
                          f"user {secrets.username(env.name, secrets.DB_PASSWORD)}); the profile does not hold it.")
        else:
            console.print("[yellow]The password in the URL was not saved anywhere[/]: there is no OS keyring here. "
                          "Set PGPASSWORD, or add a line host:port:dbname:user:password to ~/.pgpass (chmod 600).")
        console.print("[dim]It may be in your shell history now: next time leave it out of --url and the wizard asks for it.[/]")
    if args.ask_token:
        token = getpass.getpass(f"API token (JWT) for {env.name}: ") if sys.stdin.isatty() else None
        register_secret(token)
        if token and secrets.set_secret(env.name, secrets.API_TOKEN, token):
            console.print(f"The API token is in the OS keyring (user {secrets.username(env.name, secrets.API_TOKEN)}).")
        elif token or not sys.stdin.isatty():
            console.print(f"[yellow]The API token was not saved[/]: set {secrets.TOKEN_ENV} where the wizard runs.")
    console.print(f"Next: `migration-wizard env test {env.name}` connects and shows the server it will pin.")
    return EXIT_OK


# --- list -----------------------------------------------------------------------------------------

def _where(env: Environment) -> str:
    info = env.conninfo
    host = str(info.get("host", "") or "")
    place = (f"socket {host}" if host.startswith("/") else f"{host or 'PGHOST'}:{info.get('port', 'PGPORT')}")
    parts = [f"{env.kind} (plays {env.role})", place, f"db={info.get('dbname', 'PGDATABASE')}",
             f"user={info.get('user', 'PGUSER')}"]
    if info.get("service"):
        parts.append(f"service={info['service']}")
    if info.get("sslmode"):
        parts.append(f"sslmode={info['sslmode']}")
    if info.get("pooler"):
        parts.append("transaction pooler (no prepared statements)")
    return " · ".join(parts)


def env_list(args: Any, console: Console) -> int:
    envs = profiles.list_environments()
    table = Table("name", "kind", "plays", "colour", "where", "database", "user", "sslmode", "password")
    keyring_ok = secrets.available()
    for env in envs:
        info = env.conninfo
        host = str(info.get("host", "") or "")
        where = "socket" if host.startswith("/") else f"{host or '(PGHOST)'}:{info.get('port', '')}".rstrip(":")
        if info.get("pooler"):
            where += " (pooler)"
        if env.name in SANDBOX_ROLES:
            stored = "not needed"
        elif keyring_ok:
            stored = "in keyring" if _has(env.name) else "asked on first use"
        else:
            stored = "PGPASSWORD / ~/.pgpass"
        table.add_row(env.name, env.kind, env.role, env.display_colour, where, str(info.get("dbname", "")),
                      str(info.get("user", "")), str(info.get("sslmode", "")), stored)
    console.print(table)
    console.print(f"[dim]profiles: {profiles.profiles_path()} · {secrets.status()}[/]")
    return EXIT_OK


def _has(profile: str) -> bool:
    kr = secrets.backend()
    try:
        return kr is not None and kr.get_password(secrets.SERVICE, secrets.username(profile, secrets.DB_PASSWORD)) is not None
    except Exception:  # noqa: BLE001 - a listing never fails on the keyring
        return False


# --- test -----------------------------------------------------------------------------------------

def _pins(args: Any, env: Environment) -> tuple[Path, dict[str, Any]]:
    from wizard.commands import journal_path
    from wizard.journal import read_events
    from wizard.state import replay

    path = journal_path(getattr(args, "journal", None), env)
    if not path.exists():
        return path, {}
    return path, replay(read_events(path).events).pins


def env_test(args: Any, console: Console) -> int:
    from wizard import db
    from wizard.commands import prepare_environment

    env = resolve_environment(args.name)
    prepare_environment(env)

    async def probe() -> tuple[Any, bool]:
        password = None if env.name in SANDBOX_ROLES else await secrets.verified_password(env)
        conn = await db.connect(env, password=password)
        try:
            fp = await db.fingerprint(conn)
            tls = bool(conn.pgconn.ssl_in_use)
        finally:
            await conn.close()
        return fp, tls

    fingerprint, tls = asyncio.run(probe())
    console.print(f"[green]✓[/] connected to {env.name}: {_where(env)}")
    console.print(f"  PostgreSQL {fingerprint.server_version} · TLS {'in use' if tls else 'not in use'}")
    console.print(f"  fingerprint {fingerprint.system_identifier}/{fingerprint.database} (from {fingerprint.source})")
    path, pins = _pins(args, env)
    pinned = pins.get(env.name)
    seen = fingerprint.as_dict()
    if pinned is None:
        console.print(f"  pin: not pinned yet in {path}; the first run on {env.name} pins this server")
        return EXIT_OK
    if (pinned.get("system_identifier"), pinned.get("database")) == (seen["system_identifier"], seen["database"]):
        console.print(f"  pin: [green]matches[/] the server pinned in {path}")
        return EXIT_OK
    really = [n for n, fp in pins.items() if n != env.name
              and (fp.get("system_identifier"), fp.get("database")) == (seen["system_identifier"], seen["database"])]
    if really:
        where = f" It is the server pinned as {', '.join(really)}."
    else:
        from wizard.environments import identify_server

        known = identify_server(seen, exclude=env.name)
        where = f" It is {', '.join(known)}." if known else " It is no server pinned in this journal."
    raise EnvironmentRefused(
        f"{env.name} points at a different server than the one pinned in {path} "
        f"(pinned {pinned.get('system_identifier')}/{pinned.get('database')}, found "
        f"{seen['system_identifier']}/{seen['database']}).{where}",
        f"Check the profile ({profiles.profiles_path()}). If the server really was replaced: "
        f"`migration-wizard env forget {env.name} --pin`.",
    )


# --- forget ---------------------------------------------------------------------------------------

def env_forget(args: Any, console: Console) -> int:
    name = args.name
    if args.pin:
        return _unpin(args, console)
    if name in SANDBOX_ROLES:
        raise WizardError(f"{name} is built in: it has no secrets and no profile to forget.",
                          f"To re-pin it: `migration-wizard env forget {name} --pin`.")
    if not secrets.available():
        secrets.notice()
        console.print(f"No OS keyring: nothing of {name}'s is stored by the wizard (PGPASSWORD, ~/.pgpass and "
                      f"{secrets.TOKEN_ENV} are yours to change).")
    else:
        removed = secrets.forget(name)
        console.print(f"Removed {', '.join(removed)} of {name} from the OS keyring; the next connection asks again."
                      if removed else f"No secrets of {name} were in the OS keyring.")
    if args.profile:
        console.print(f"Removed the profile {name} from {profiles.profiles_path()}." if profiles.forget(name)
                      else f"There was no profile {name} in {profiles.profiles_path()}.")
    return EXIT_OK


def _unpin(args: Any, console: Console) -> int:
    from wizard.commands import writer_lock
    from wizard.journal import Journal
    from wizard.state import replay

    env = resolve_environment(args.name)
    path, pins = _pins(args, env)
    if env.name not in pins:
        console.print(f"{env.name} is not pinned in {path}: nothing to do.")
        return EXIT_OK
    with writer_lock(path):
        journal = Journal(path)
        previous = replay(journal.events).pins.get(env.name)
        journal.append("env_unpinned", env=env.name, previous=previous,
                       note="unpinned by the operator; the next connection pins the server it finds")
    console.print(f"{env.name} is unpinned in {path}: the next connection pins the server it finds. "
                  f"Run `migration-wizard env test {env.name}` first to see which one that is.")
    return EXIT_OK
