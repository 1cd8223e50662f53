"""Credentials in the OS keyring: each profile's database password and API token.

Service name "migration-wizard", usernames "<profile>:db_password" and "<profile>:api_token".
Every value read is registered with wizard.redact, so it is masked in anything we write.

Without a usable OS keyring (a headless server; or only keyrings.alt's plaintext file, which we do
not pick on our own) we say so once and fall back to libpq's own mechanisms (PGPASSWORD,
~/.pgpass, a service file) and MIGRATION_WIZARD_API_TOKEN for the token. We never write a secret
to a file of ours.
"""

from __future__ import annotations

import getpass
import inspect
import os
import sys
from typing import Any, Awaitable, Callable

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from wizard.environments.connections import connect
from wizard.errors import ConnectionFailed, WizardError
from wizard.redact import register_secret

SERVICE = "migration-wizard"
DB_PASSWORD = "db_password"
API_TOKEN = "api_token"
NAMES = (DB_PASSWORD, API_TOKEN)
TOKEN_ENV = "MIGRATION_WIZARD_API_TOKEN"
NO_KEYRING = ("no OS keyring: using PGPASSWORD / ~/.pgpass for the database and "
              f"{TOKEN_ENV} for the token")

Asker = Callable[[str], "str | None | Awaitable[str | None]"]

_override: KeyringBackend | None = None
_noticed = False
_broken: str | None = None  # why the keyring failed at run time (locked, no D-Bus, …)


def _print_notice(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


_notify: Callable[[str], None] = _print_notice


# --- backend ----------------------------------------------------------------------------------

def use_backend(backend: KeyringBackend | None) -> None:
    """Choose the keyring backend explicitly (tests, the TUI); None goes back to keyring's own choice."""
    global _override, _noticed, _broken
    _override, _noticed, _broken = backend, False, None


def set_notifier(fn: Callable[[str], None]) -> Callable[[str], None]:
    """Where the one-time "no OS keyring" note goes (stderr by default; the TUI shows it)."""
    global _notify
    previous, _notify = _notify, fn
    return previous


def _explicitly_configured() -> bool:
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    try:
        return keyring.core.load_config() is not None
    except Exception:  # noqa: BLE001 - a broken keyringrc is no explicit choice
        return False


def _is_fallback_file(kr: KeyringBackend) -> bool:
    """keyrings.alt's file backends: a plaintext (or self-encrypted) file, not an OS keyring."""
    return type(kr).__module__.startswith("keyrings.alt")


def _usable(kr: KeyringBackend, explicit: bool) -> bool:
    if isinstance(kr, (fail.Keyring, null.Keyring)):
        return False
    if isinstance(kr, chainer.ChainerBackend):
        return any(_usable(b, explicit) for b in kr.backends)
    return explicit or not _is_fallback_file(kr)


def backend() -> KeyringBackend | None:
    """The keyring we may use, or None (then libpq's mechanisms and the token variable)."""
    if _broken:
        return None
    if _override is not None:
        return _override if _usable(_override, explicit=True) else None
    try:
        kr = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a backend that cannot even load is no backend
        return None
    return kr if _usable(kr, _explicitly_configured()) else None


def available() -> bool:
    return backend() is not None


def status() -> str:
    kr = backend()
    if kr is None:
        return NO_KEYRING + (f" ({_broken})" if _broken else "")
    return f"OS keyring: {type(kr).__module__}.{type(kr).__name__}"


def notice() -> None:
    """Say once per process that there is no OS keyring, and what is used instead."""
    global _noticed
    if not _noticed:
        _noticed = True
        _notify(NO_KEYRING + (f" (the keyring failed: {_broken})" if _broken else ""))


def _keyring_failed(exc: Exception) -> None:
    global _broken
    _broken = type(exc).__name__  # never the message: it may quote what was being stored
    notice()


# --- get / set / delete ------------------------------------------------------------------------

def username(profile: str, name: str) -> str:
    if name not in NAMES:
        raise WizardError(f"Unknown secret {name!r}.", f"Secrets are: {', '.join(NAMES)}.")
    return f"{profile}:{name}"


def get_secret(profile: str, name: str) -> str | None:
    """From the keyring, else the fallback (the token variable); registered for redaction."""
    kr = backend()
    value: str | None = None
    if kr is None:
        notice()
    else:
        try:
            value = kr.get_password(SERVICE, username(profile, name))
        except keyring.errors.KeyringError as exc:
            _keyring_failed(exc)
    if value is None and name == API_TOKEN:
        value = os.environ.get(TOKEN_ENV) or None
    if value is None and name == DB_PASSWORD and kr is None:
        register_secret(os.environ.get("PGPASSWORD"))  # libpq reads it itself; we only mask it
    register_secret(value)
    return value


def set_secret(profile: str, name: str, value: str) -> bool:
    """Store in the keyring; False (and the one-time note) when there is none. Never a file of ours."""
    register_secret(value)
    kr = backend()
    if kr is None:
        notice()
        return False
    try:
        kr.set_password(SERVICE, username(profile, name), value)
    except keyring.errors.KeyringError as exc:
        _keyring_failed(exc)
        return False
    return True


def delete_secret(profile: str, name: str) -> bool:
    kr = backend()
    if kr is None:
        notice()
        return False
    try:
        kr.delete_password(SERVICE, username(profile, name))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        _keyring_failed(exc)
        return False
    return True


def forget(profile: str) -> list[str]:
    """Remove every secret of a profile; returns the names that were removed."""
    return [name for name in NAMES if delete_secret(profile, name)]


get, set, delete = get_secret, set_secret, delete_secret  # noqa: A001 - the module's short names


def provider(profile: str, *, prefetch: bool = False) -> Callable[[str], str | None]:
    """engine.secret for step kinds that want "db_password" or "api_token"; never journaled.

    With prefetch, both are read (and so registered for redaction) before the first step runs:
    whatever echoes a token later (a command's output, a response body) is already masked.
    """
    cache: dict[str, str | None] = {}

    def secret(name: str) -> str | None:
        if name not in cache:
            cache[name] = get_secret(profile, name)
        return cache[name]

    if prefetch:
        for name in NAMES:
            secret(name)
    return secret


# --- asking ---------------------------------------------------------------------------------

def ask_secret(prompt: str) -> str | None:
    """The CLI's asker: a masked prompt on the terminal; None when nobody is there to answer."""
    if not sys.stdin.isatty():
        return None
    try:
        value = getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        return None
    return value or None


_asker: Asker = ask_secret


def set_asker(fn: Asker) -> Asker:
    """Plug in another way to ask (the TUI's masked Input); returns the previous asker."""
    global _asker
    previous, _asker = _asker, fn
    return previous


async def ask(prompt: str, asker: Asker | None = None) -> str | None:
    answer: Any = (asker or _asker)(prompt)
    if inspect.isawaitable(answer):
        answer = await answer
    register_secret(answer)
    return answer or None


def is_auth_failure(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "password authentication failed" in text or "no password supplied" in text


async def verified_password(env: Any, *, asker: Asker | None = None, say: Callable[[str], None] | None = None) -> str | None:
    """The password that gets `env` connected: the keyring's, or libpq's own (None), or asked for.

    Asked on first use (when the server wants one and none is stored), and asked again once on an
    authentication failure; a password that worked is stored in the keyring. Gives up with one
    clear message after the second refusal.
    """
    say = say or _notify
    password = get_secret(env.name, DB_PASSWORD)
    asked = 0
    while True:
        try:
            conn = await connect(env, password=password)
        except ConnectionFailed as exc:
            if not is_auth_failure(exc):
                raise
            if asked >= 2:  # asked on first use (or after a stored one failed), then once more
                raise ConnectionFailed(
                    f"{env.name} refused the password again: giving up. Nothing was run or stored.",
                    f"Check the user ({env.conninfo.get('user') or 'PGUSER'}) and its password (Supabase: "
                    "Project Settings → Database), then run the command again.",
                ) from None
            where = f"{env.conninfo.get('user') or ''}@{env.conninfo.get('host') or 'PGHOST'}".lstrip("@")
            again = "The password was refused. " if password is not None else ""
            keep = "it is kept in the OS keyring" if available() else "it is not stored: no OS keyring"
            password = await ask(f"{again}Database password for {env.name} ({where}; {keep}): ", asker)
            asked += 1
            if password is None:
                raise ConnectionFailed(
                    f"{exc.what}", f"{exc.fix} Headless: set PGPASSWORD or add the password to ~/.pgpass"
                    + (", or run `migration-wizard env test " + env.name + "` once on a terminal to store it in the keyring." if available() else "."),
                ) from None
            continue
        await conn.close()
        if asked and password is not None and set_secret(env.name, DB_PASSWORD, password):
            say(f"the password for {env.name} is saved in the OS keyring (service {SERVICE}, user {username(env.name, DB_PASSWORD)})")
        return password
