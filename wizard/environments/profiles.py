"""Operator-defined environments: profiles in a TOML file under the user config dir.

    [environments.staging]
    kind = "staging"                      # sandbox | staging | production
    host = "db.abcdefghijklmnop.supabase.co"
    port = 5432
    dbname = "postgres"
    user = "postgres"
    workspace = "~/src/app"               # the application's repo root
    lock_wait = "2s"                      # optional: how long a migration may wait for its locks

Only what a profile sets is passed to libpq, so PG* variables, a service file and ~/.pgpass keep
working for everything it leaves out. Passwords never live here: they are in the OS keyring
(wizard.environments.secrets) or in libpq's own places. The two sandboxes are built in and cannot
be redefined. The file is edited with tomlkit, so the operator's comments and layout survive.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Comment, Table, Whitespace

from wizard import paths
from wizard.environments.model import KIND_COLOURS, KINDS, ROLES, SANDBOX_ROLES, Environment
from wizard.errors import WizardError

FILE_NAME = "environments.toml"
PROFILES_ENV = "MIGRATION_WIZARD_PROFILES"
POOLER_PORT = 6543
# libpq keywords a profile may set; anything else it leaves to libpq (PG* variables, service file).
CONN_KEYS = ("host", "hostaddr", "port", "dbname", "user", "sslmode", "sslrootcert", "sslcert", "sslkey",
             "service", "passfile", "options", "connect_timeout", "target_session_attrs", "application_name")
OWN_KEYS = ("kind", "role", "workspace", "colour", "pooler", "description", "lock_wait")
_DURATION = re.compile(r"^\s*[0-9]+\s*(ms|s|min|h)?\s*$")  # as the runbook's Duration
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
SECRET_KEYS = ("password", "api_token", "token", "jwt")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
EXAMPLE = ('[environments.staging]\nkind = "staging"\nhost = "db.<ref>.supabase.co"\nport = 5432\n'
           'dbname = "postgres"\nuser = "postgres"')


def profiles_path() -> Path:
    """The profile file: $MIGRATION_WIZARD_PROFILES, else environments.toml in the config dir."""
    override = os.environ.get(PROFILES_ENV)
    if override:
        return Path(override).expanduser()
    return paths.config_dir() / FILE_NAME


# --- reading -------------------------------------------------------------------------------

def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "", {}
    except (OSError, UnicodeDecodeError) as exc:
        raise WizardError(f"Cannot read the environment profiles in {path}: {exc.__class__.__name__}.",
                          "Check the file's permissions and that it is UTF-8 text.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WizardError(
            f"{path}: not valid TOML: {exc}.",
            "Fix that line (strings need double quotes, one key = value per line). A profile looks like:\n"
            + EXAMPLE,
        ) from None
    return text, data


def _line_of(text: str, name: str, key: str | None = None) -> int | None:
    """Best effort: the line of a profile's header, or of one key inside it."""
    header = re.compile(r'^\s*\[\s*environments\s*\.\s*"?' + re.escape(name) + r'"?\s*\]')
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if header.match(line):
            if key is None:
                return number
            for offset, inner in enumerate(lines[number:], number + 1):
                if inner.lstrip().startswith("["):
                    break
                if re.match(r"^\s*" + re.escape(key) + r"\s*=", inner):
                    return offset
            return number
    return None


def _problem(path: Path, text: str, name: str, key: str | None, what: str, fix: str) -> WizardError:
    line = _line_of(text, name, key)
    where = f"{path}" + (f", line {line}" if line else "")
    subject = f"environments.{name}" + (f".{key}" if key else "")
    return WizardError(f"{where}: {subject}: {what}", fix)


def _table(path: Path, text: str, data: dict[str, Any]) -> dict[str, Any]:
    table = data.get("environments", {})
    if not isinstance(table, dict):
        raise WizardError(f"{path}: `environments` must be a table of profiles.",
                          "Write each profile as its own [environments.NAME] section:\n" + EXAMPLE)
    unknown = [k for k in data if k != "environments"]
    if unknown:
        raise WizardError(f"{path}: unknown top-level key {unknown[0]!r}.",
                          "Put each profile under [environments.NAME]:\n" + EXAMPLE)
    return table


def is_local_host(host: str) -> bool:
    """localhost, a loopback address or a unix socket directory: no TLS needed by default."""
    parts = [h.strip() for h in str(host).split(",") if h.strip()]
    return bool(parts) and all(p in LOCAL_HOSTS or p.startswith("/") or p.startswith("@") for p in parts)


def _environment(name: str, raw: Any, path: Path, text: str) -> Environment:
    def bad(key: str | None, what: str, fix: str) -> WizardError:
        return _problem(path, text, name, key, what, fix)

    if not isinstance(raw, dict):
        raise bad(None, "a profile must be a table of settings.", "Write it as a section:\n" + EXAMPLE)
    if name in SANDBOX_ROLES:
        raise bad(None, f"{name} is built in and cannot be redefined.",
                  "Remove this section, or give your environment another name (e.g. staging).")
    if not _NAME.match(name):
        raise bad(None, "a profile name is lower-case letters, digits, - and _ (at most 63).",
                  "Rename the section, e.g. [environments.staging].")
    for key in raw:
        if key in SECRET_KEYS:
            raise bad(key, "secrets never go in a profile file.",
                      f"Delete this line. `migration-wizard env add {name} --url …` moves a password into the OS keyring, "
                      "or the wizard asks for it on first use (PGPASSWORD and ~/.pgpass work too).")
        if key not in CONN_KEYS and key not in OWN_KEYS:
            raise bad(key, f"unknown setting {key!r}.",
                      f"Use one of: {', '.join(OWN_KEYS + CONN_KEYS)}.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise bad("kind", f"kind must be one of {', '.join(KINDS)} (found {kind!r}).",
                  'Add e.g. kind = "staging".')
    role = raw.get("role")
    if kind == "sandbox":
        if role not in ROLES:
            raise bad("role", f"a sandbox-kind profile must say which role it plays: {' or '.join(ROLES)} (found {role!r}).",
                      'Add e.g. role = "staging".')
    else:
        role = kind if role is None else role
        if role != kind:
            raise bad("role", f"a {kind} environment can only play {kind} (found role {role!r}).",
                      "Remove the role line: only sandbox-kind profiles play another role.")
    conninfo: dict[str, Any] = {}
    for key in CONN_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        if key in ("port", "connect_timeout"):
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
                raise bad(key, f"{key} must be a whole number (found {value!r}).", f"Write e.g. {key} = 5432." if key == "port" else f"Write e.g. {key} = 10.")
        elif not isinstance(value, str) or not value:
            raise bad(key, f"{key} must be a non-empty string (found {value!r}).", f'Write e.g. {key} = "…" with double quotes.')
        if key == "sslmode" and value not in SSLMODES:
            raise bad(key, f"sslmode {value!r} is not one libpq knows.", f"Use one of: {', '.join(SSLMODES)}.")
        conninfo[key] = value
    if "host" in conninfo and conninfo["host"].startswith("~"):
        conninfo["host"] = str(Path(conninfo["host"]).expanduser())
    pooler = raw.get("pooler")
    if pooler is not None and not isinstance(pooler, bool):
        raise bad("pooler", f"pooler must be true or false (found {pooler!r}).", "Write pooler = true for a transaction pooler (port 6543).")
    if pooler or conninfo.get("port") == POOLER_PORT:
        conninfo["pooler"] = True  # prepared statements off: a transaction pooler cannot hold them
    if ("sslmode" not in conninfo and "service" not in conninfo and "PGSSLMODE" not in os.environ
            and "host" in conninfo and not is_local_host(conninfo["host"])):
        conninfo["sslmode"] = "require"
    colour = raw.get("colour")
    if colour is not None:
        if not isinstance(colour, str) or not re.match(r"^[a-z]+$", colour):
            raise bad("colour", f"colour must be a colour name (found {colour!r}).", 'Write e.g. colour = "magenta".')
        taken = {c: k for k, c in KIND_COLOURS.items() if k != kind}
        if colour in taken:
            raise bad("colour", f"{colour} is the colour of {taken[colour]} environments; a {kind} environment "
                      "must never look like one.", f"Choose another colour, or remove the line ({kind} is {KIND_COLOURS[kind]}).")
    workspace = raw.get("workspace")
    if workspace is not None:
        if not isinstance(workspace, str) or not workspace:
            raise bad("workspace", "workspace must be a folder path.", 'Write e.g. workspace = "~/src/app".')
        workspace = str(Path(workspace).expanduser())
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise bad("description", "description must be a string.", 'Write e.g. description = "Supabase staging project".')
    lock_wait = raw.get("lock_wait")
    if lock_wait is not None and not (isinstance(lock_wait, str) and _DURATION.match(lock_wait)):
        raise bad("lock_wait", f"lock_wait must be a PostgreSQL duration (found {lock_wait!r}).",
                  'Write a whole number with a unit, e.g. lock_wait = "2s".')
    return Environment(name=name, kind=kind, role=role, conninfo=conninfo, workspace=workspace,
                       description=description or f"{kind} profile from {path.name}", colour=colour,
                       lock_wait=lock_wait.strip() if lock_wait else None)


def load_profile(name: str) -> Environment:
    """The profile of that name (validated; errors say file, line, key, fix)."""
    path = profiles_path()
    text, data = _read(path)
    table = _table(path, text, data)
    if name not in table:
        known = [*SANDBOX_ROLES, *sorted(table)]
        raise WizardError(
            f"Unknown environment {name!r}.",
            f"Use one of: {', '.join(known)}, or add one with `migration-wizard env add {name} --kind staging --url …` "
            f"(profiles: {path}).",
        )
    return _environment(name, table[name], path, text)


def list_profiles() -> list[Environment]:
    """Every profile in the file, by name (all validated)."""
    path = profiles_path()
    text, data = _read(path)
    return [_environment(name, raw, path, text) for name, raw in sorted(_table(path, text, data).items())]


def profile_names() -> list[str]:
    path = profiles_path()
    text, data = _read(path)
    return sorted(_table(path, text, data))


# --- writing ----------------------------------------------------------------------------------

def _pop_trailing(body: list[tuple[Any, Any]], kinds: tuple[type, ...]) -> list[Any]:
    """Pop the unkeyed items of `kinds` at the end of a tomlkit body, in file order."""
    popped: list[Any] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], kinds):
        popped.insert(0, body.pop()[1])
    return popped


def _without(doc: tomlkit.TOMLDocument, name: str) -> tomlkit.TOMLDocument:
    """The document without one profile's section. Comment lines directly above its header go
    with it (above the first section they are the file's own, and stay); comments after its last
    setting introduce the next section, so they stay too."""
    envs = doc["environments"]
    names = list(envs)
    at = names.index(name)
    # tomlkit keeps the lines between two sections in the body of the first one (or, before the
    # first section, at the top level).
    if at and isinstance(envs[names[at - 1]], Table):
        before = envs[names[at - 1]].value.body
        _pop_trailing(before, (Comment,))
    else:
        before = doc.body
    table = envs[name]
    kept = _pop_trailing(table.value.body, (Comment, Whitespace)) if isinstance(table, Table) else []
    del envs[name]
    lines_above = [item for key, item in before if key is None]
    if lines_above and isinstance(lines_above[-1], Whitespace):
        kept = _without_leading_blank(kept)
    if before is not doc.body:
        before.extend((None, item) for item in kept)
        return doc
    # The top level holds only comments before [environments.*]; splice the kept ones in after them.
    head = "".join(item.as_string() for item in lines_above)
    text = tomlkit.dumps(doc)
    return tomlkit.parse(head + "".join(item.as_string() for item in kept) + text[len(head):])


def _without_leading_blank(items: list[Any]) -> list[Any]:
    return items[1:] if items and isinstance(items[0], Whitespace) else items


def _write(path: Path, text: str) -> None:
    """Atomically, keeping the mode an existing file has (never loosening it); a new file is 0600
    in a directory created 0700, since profiles name the production servers."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o600
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, mode)  # a stale tmp file keeps its old mode through O_TRUNC
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _dumps(doc: tomlkit.TOMLDocument) -> str:
    # tomlkit leaves the blank line that separated a removed last section; the file ends in one newline.
    text = tomlkit.dumps(doc).rstrip("\n")
    return text + "\n" if text else ""


def save_profile(name: str, kind: str, *, role: str | None = None, conninfo: dict[str, Any] | None = None,
                 workspace: str | None = None, colour: str | None = None, pooler: bool | None = None,
                 description: str | None = None, replace: bool = False) -> Environment:
    """Add (or, with replace, redefine) a profile. Other sections and their comments are kept."""
    conninfo = dict(conninfo or {})
    for key in SECRET_KEYS:
        if conninfo.get(key):
            raise WizardError("A profile never holds a password or token.",
                              "Store it with wizard.environments.secrets (the OS keyring) instead.")
        conninfo.pop(key, None)
    if name in SANDBOX_ROLES:
        raise WizardError(f"{name} is built in and cannot be redefined.", "Choose another name, e.g. staging.")
    if not _NAME.match(name):  # before the name goes into a TOML section header
        raise WizardError(f"{name!r} is not a profile name: lower-case letters, digits, - and _ (at most 63).",
                          "Choose another name, e.g. staging.")
    path = profiles_path()
    text, data = _read(path)
    table = _table(path, text, data)
    if name in table and not replace:
        raise WizardError(f"An environment named {name} already exists in {path}.",
                          f"Use `--replace` to redefine it, or `migration-wizard env forget {name} --profile` first.")
    settings: dict[str, Any] = {"kind": kind, "role": role}
    unknown = [k for k in conninfo if k not in CONN_KEYS]
    if unknown:
        raise WizardError(f"The connection setting {unknown[0]!r} is not one a profile keeps.",
                          f"Use only: {', '.join(CONN_KEYS)}.")
    for key in CONN_KEYS:
        if key in conninfo and conninfo[key] not in (None, ""):
            value = conninfo[key]
            settings[key] = int(value) if key in ("port", "connect_timeout") and str(value).isdigit() else value
    settings.update({"pooler": pooler or None, "workspace": workspace, "colour": colour, "description": description})
    section = tomlkit.table()
    for key, value in settings.items():
        if value is not None:
            section.add(key, value)
    env = _environment(name, section.unwrap(), path, "")  # validate before writing
    doc = tomlkit.parse(text)
    if "environments" not in doc:
        doc.add("environments", tomlkit.table(is_super_table=True))
    envs = doc["environments"]
    if name in envs:  # redefined in place
        old = envs[name]
        kept = _pop_trailing(old.value.body, (Comment, Whitespace)) if isinstance(old, Table) else []
        envs[name] = section
        # tomlkit already puts a blank line after a new section
        envs[name].value.body.extend((None, item) for item in _without_leading_blank(kept))
    else:
        envs.add(name, section)
    _write(path, _dumps(doc))
    return env


def forget(name: str) -> bool:
    """Remove a profile from the file; False when there was none."""
    if name in SANDBOX_ROLES:
        raise WizardError(f"{name} is built in and cannot be removed.", "Nothing to do.")
    path = profiles_path()
    text, data = _read(path)
    if name not in _table(path, text, data):
        return False
    _write(path, _dumps(_without(tomlkit.parse(text), name)))
    return True
