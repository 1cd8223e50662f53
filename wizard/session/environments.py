"""Environment profiles, their secrets and their pins: the operations both faces call.

`migration-wizard env add|list|test|forget` (wizard/cli/env.py) and the TUI's Environments
screen present these; nothing here prints or draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from wizard.environments import (KINDS, ROLES, SANDBOX_ROLES, Environment, compare_pin, connect, fingerprint,
                                 list_environments, profiles, resolve_environment, sandbox_environment, secrets)
from wizard.environments.pins import production_owner, production_server_refusal, same_server
from wizard.errors import EnvironmentRefused, WizardError
from wizard.journal.pins import known_pins
from wizard.redact import redact, register_secret
from wizard.session.integrity import check_journal
from wizard.session.journals import journal_path, open_journal, writer_lock

if TYPE_CHECKING:
    from wizard.environments import Fingerprint
    from wizard.journal import Journal

__all__ = ["KINDS", "ROLES", "SANDBOX_ROLES", "Environment", "resolve_environment"]


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


@dataclass(frozen=True)
class Added:
    """What `add_profile` did, as plain lines (level ok | warn | dim | info) for the CLI and the TUI."""

    env: Environment
    path: Path
    lines: list[tuple[str, str]]


def add_profile(name: str, kind: str, url: str, *, role: str | None = None, workspace: str | None = None,
                colour: str | None = None, pooler: bool | None = None, description: str | None = None,
                replace: bool = False, password: str | None = None, token: str | None = None) -> Added:
    """Save a profile from a libpq URI or key=value string. A password in it (or typed, `password`)
    and an API token go to the OS keyring, never to the profile; no message ever quotes them."""
    params = parse_conninfo(url)
    in_url = params.pop("password", None)
    register_secret(in_url)
    register_secret(password)
    register_secret(token)
    if in_url and password and in_url != password:
        raise WizardError("The connection string holds a password, and another one was typed.",
                          "Keep one: leave the password out of the connection string.")
    env = profiles.save_profile(name, kind, role=role, conninfo=params, workspace=workspace, colour=colour,
                                pooler=True if pooler else None, description=description, replace=replace)
    path = profiles.profiles_path()
    lines: list[tuple[str, str]] = [("ok", f"{env.name} saved in {path}: {_where(env)}")]
    secret_pw = password or in_url
    if secret_pw:
        moved = "The password in the URL was" if in_url else "The password was"
        if secrets.set_secret(env.name, secrets.DB_PASSWORD, secret_pw):
            lines.append(("info", f"{moved} {'moved to' if in_url else 'stored in'} the OS keyring (service {secrets.SERVICE}, "
                                  f"user {secrets.username(env.name, secrets.DB_PASSWORD)}); the profile does not hold it."))
        else:
            lines.append(("warn", f"{moved} not saved anywhere: there is no OS keyring here. "
                                  "Set PGPASSWORD, or add a line host:port:dbname:user:password to ~/.pgpass (chmod 600)."))
        if in_url:
            lines.append(("dim", "It may be in your shell history now: next time leave it out of --url and the wizard asks for it."))
    if token:
        lines.append(store_token(env.name, token))
    return Added(env, path, lines)


def store_token(name: str, token: str | None) -> tuple[str, str]:
    """The API token into the OS keyring; a (level, line) saying where it is (never the token)."""
    register_secret(token)
    if token and secrets.set_secret(name, secrets.API_TOKEN, token):
        return "info", f"The API token is in the OS keyring (user {secrets.username(name, secrets.API_TOKEN)})."
    return "warn", f"The API token was not saved: set {secrets.TOKEN_ENV} where the wizard runs."


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


@dataclass(frozen=True)
class EnvRow:
    """One environment as the list shows it. Secrets are only ever "stored or not", never read out."""

    env: Environment
    built_in: bool
    where: str  # host:port, or the socket directory
    database: str
    password: bool | None  # in the OS keyring? None: built in (none needed) or no OS keyring here
    token: bool | None
    pin: str  # the pinned fingerprint's short form, "" when not pinned

    @property
    def password_text(self) -> str:
        """The env list's wording for the password column."""
        if self.built_in:
            return "not needed"
        if self.password is None:
            return "PGPASSWORD / ~/.pgpass"
        return "in keyring" if self.password else "asked on first use"


def pin_short(fingerprint: dict[str, Any] | None) -> str:
    """A pin as the banner writes it: the identifier's last 8 characters and the database."""
    if not fingerprint or not fingerprint.get("system_identifier"):
        return ""
    return f"…{str(fingerprint['system_identifier'])[-8:]}/{fingerprint.get('database', '')}"


def environment_rows(pins: dict[str, dict[str, Any]] | None = None, *,
                     pins_of: Callable[[Environment], dict[str, Any]] | None = None) -> tuple[list[EnvRow], WizardError | None]:
    """The two sandboxes and every profile, with what the keyring holds and each pin in `pins`
    (or, with `pins_of`, in the pins that function reads for that environment: its own journal).

    A broken profile file still lists the sandboxes; its problem comes back as the second value.
    """
    problem: WizardError | None = None
    try:
        envs = list_environments()
    except WizardError as exc:
        envs, problem = [sandbox_environment(n) for n in SANDBOX_ROLES], exc
    keyring_ok = secrets.available()
    rows = []
    for env in envs:
        info = env.conninfo
        host = str(info.get("host", "") or "")
        where = host if host.startswith("/") else f"{host or '(PGHOST)'}:{info.get('port', '')}".rstrip(":")
        if info.get("pooler"):
            where += " (pooler)"
        built_in = env.name in SANDBOX_ROLES
        stored = (lambda name: None) if built_in or not keyring_ok else (lambda name: _has(env.name, name))
        rows.append(EnvRow(env, built_in, where, str(info.get("dbname", "")), stored(secrets.DB_PASSWORD),
                           stored(secrets.API_TOKEN), pin_short((pins_of(env) if pins_of else pins or {}).get(env.name))))
    return rows, problem


def describe_where(env: Environment) -> str:
    """Kind, role, host or socket, database, user, service, sslmode, pooler: one line, no secret."""
    return _where(env)


def _has(profile: str, name: str = secrets.DB_PASSWORD) -> bool:
    kr = secrets.backend()
    try:
        return kr is not None and kr.get_password(secrets.SERVICE, secrets.username(profile, name)) is not None
    except Exception:  # noqa: BLE001 - a listing never fails on the keyring
        return False


# --- test -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tested:
    """What `check_environment` found: the server, its fingerprint, and how it stands against the pin."""

    env: Environment
    server_version: str
    tls: bool
    fingerprint: dict[str, Any]
    journal: Path
    pin: str  # "not pinned" | "matches" | "pinned now"
    shared: tuple[str, ...] = ()  # other environments pinned to the same server: "production (production) in PATH"

    def lines(self) -> list[tuple[str, str]]:
        fp = self.fingerprint
        pin = {
            "not pinned": f"pin: not pinned yet in {self.journal}; the first run on {self.env.name} pins this server",
            "matches": f"pin: matches the server pinned in {self.journal}",
            "pinned now": f"pin: pinned now in {self.journal}; from here on {self.env.name} must reach this server",
        }[self.pin]
        return [("ok", f"connected to {self.env.name}: {_where(self.env)}"),
                ("info", f"  PostgreSQL {self.server_version} · TLS {'in use' if self.tls else 'not in use'}"),
                ("info", f"  fingerprint {fp['system_identifier']}/{fp['database']} (from {fp['source']})"),
                ("info", f"  {pin}")] + [("warn", f"  also pinned to this server: {other}") for other in self.shared]


async def probe(env: Environment, *, asker: secrets.Asker | None = None,
                say: Callable[[str], None] | None = None) -> tuple["Fingerprint", bool]:
    """Connect (asking for the password if the server wants one), read the fingerprint, close."""
    password = None if env.name in SANDBOX_ROLES else await secrets.verified_password(env, asker=asker, say=say)
    conn = await connect(env, password=password)
    try:
        fp = await fingerprint(conn)
        tls = bool(conn.pgconn.ssl_in_use)
    finally:
        await conn.close()
    return fp, tls


def check_pin(env: Environment, seen: dict[str, Any], path: Path, pins: dict[str, Any]) -> str:
    """"not pinned" or "matches"; a different server raises EnvironmentRefused naming what it really is."""
    pin = compare_pin(env.name, seen, pins)
    if pin.status != "different":
        return pin.status
    raise EnvironmentRefused(
        f"{env.name} points at a different server than the one pinned in {path} {pin.detail}",
        f"Check the profile ({profiles.profiles_path()}). If the server really was replaced: "
        f"`migration-wizard env forget {env.name} --pin`.",
    )


async def check_environment(env: Environment, path: Path, *, journal: "Journal | None" = None, pin: bool = False,
                           asker: secrets.Asker | None = None, say: Callable[[str], None] | None = None) -> Tested:
    """`env test`: connect, then compare with the pin in the journal at `path` (read from `journal`
    when that journal is open in this process). With `pin`, an environment not pinned yet is pinned
    in `journal` now, as its first run would. Only reads the database."""
    from wizard.journal import replay

    fingerprint, tls = await probe(env, asker=asker, say=say)
    seen = fingerprint.as_dict()
    pins = replay(journal.events).pins if journal is not None else pins_in(path)
    status = check_pin(env, seen, path, pins)
    recorded = known_pins(path, journal.events if journal is not None else None)
    owner = production_owner(env, seen, recorded)
    if owner is not None:
        raise production_server_refusal(env, owner)
    if status == "not pinned" and pin:
        _append_to(path, journal, lambda target: target.append(
            "env_pinned", env=env.name, kind=env.kind, role=env.role, fingerprint=seen, by="env test"))
        status = "pinned now"
    shared = tuple(f"{p.env} ({p.kind or '?'}, plays {p.role or '?'}) in {p.journal}" for p in recorded
                   if p.env != env.name and same_server(p.fingerprint, seen))
    return Tested(env, fingerprint.server_version, tls, seen, path, status, shared)


def pin_tested(tested: Tested, journal: "Journal | None" = None) -> Tested:
    """Pin the server a test found (the TUI asks first; `env test` pins on first success)."""
    import dataclasses

    if tested.pin != "not pinned":
        return tested
    env = tested.env
    _append_to(tested.journal, journal, lambda target: target.append(
        "env_pinned", env=env.name, kind=env.kind, role=env.role, fingerprint=tested.fingerprint, by="env test"))
    return dataclasses.replace(tested, pin="pinned now")


def _append_to(path: Path, journal: "Journal | None", write: Callable[["Journal"], Any]) -> Any:
    """Write to the journal at `path`: through `journal` when it is open in this process, else
    under the writer lock (another wizard writing it is one clear message)."""
    from wizard.runbook import load_runbook

    if journal is not None:
        return write(journal)
    with writer_lock(path):
        if check_journal(path) is not None:
            from wizard.journal import Journal

            return write(Journal(path))
        runbook = load_runbook()
        return write(open_journal(path, runbook.path, runbook.title))


def pins_in(path: Path) -> dict[str, Any]:
    from wizard.journal import read_events
    from wizard.journal import replay

    return replay(read_events(path).events).pins if path.exists() else {}


def forget_secrets(name: str) -> str:
    """Remove a profile's password and API token from the OS keyring; one line saying what happened."""
    if name in SANDBOX_ROLES:
        raise WizardError(f"{name} is built in: it has no secrets and no profile to forget.",
                          f"To re-pin it: `migration-wizard env forget {name} --pin`.")
    if not secrets.available():
        secrets.notice()
        return (f"No OS keyring: nothing of {name}'s is stored by the wizard (PGPASSWORD, ~/.pgpass and "
                f"{secrets.TOKEN_ENV} are yours to change).")
    removed = secrets.forget(name)
    return (f"Removed {', '.join(removed)} of {name} from the OS keyring; the next connection asks again."
            if removed else f"No secrets of {name} were in the OS keyring.")


def remove_profile(name: str) -> str:
    return (f"Removed the profile {name} from {profiles.profiles_path()}." if profiles.forget(name)
            else f"There was no profile {name} in {profiles.profiles_path()}.")


def unpin(name: str, path: Path, journal: "Journal | None" = None) -> str:
    """Write `env_unpinned` to the journal at `path` (through `journal` when it is open in this
    process, else under the writer lock): the next connection pins the server it finds."""
    from wizard.journal import replay

    def append(target: "Journal") -> bool:
        previous = replay(target.events).pins.get(name)
        if previous is None:
            return False
        target.append("env_unpinned", env=name, previous=previous,
                      note="unpinned by the operator; the next connection pins the server it finds")
        return True

    done = False if journal is None and name not in pins_in(path) else _append_to(path, journal, append)
    if not done:
        return f"{name} is not pinned in {path}: nothing to do."
    return (f"{name} is unpinned in {path}: the next connection pins the server it finds. "
            f"Run `migration-wizard env test {name}` first to see which one that is.")




def test_environment(name: str, journal: Path | None = None, *, asker: secrets.Asker | None = None,
                     say: Callable[[str], None] | None = None) -> Tested:
    """`env test NAME`: a built-in sandbox is started first; compared with the pin in its journal,
    and pinned there on first success."""
    import asyncio

    from wizard.rehearsal.preparation import prepare_environment

    env = resolve_environment(name)
    prepare_environment(env)
    return asyncio.run(check_environment(env, journal_path(journal, env), pin=True, asker=asker, say=say))


def unpin_environment(name: str, journal: Path | None = None) -> str:
    env = resolve_environment(name)
    return unpin(env.name, journal_path(journal, env))


def profiles_location() -> Path:
    return profiles.profiles_path()


def keyring_status() -> str:
    return secrets.status()


async def ask_password(prompt: str) -> str | None:
    """The CLI's way to ask: the terminal's masked prompt (None when nobody is at a terminal)."""
    return await secrets.ask(prompt)


def keyring_available() -> bool:
    return secrets.available()


def prepare_environment(env: Environment) -> None:
    from wizard.rehearsal.preparation import prepare_environment as prepare

    prepare(env)
