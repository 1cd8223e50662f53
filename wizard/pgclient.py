"""PostgreSQL's client programs (pg_dump, pg_restore) run against a connected environment.

The connection settings come from the live connection (exactly the server the pin checked), the
password goes to the child in PGPASSWORD only: never on its command line, never journaled.
pg_dump refuses a server newer than itself, so the newest client found is chosen and a server
newer than every client is refused up front with what to install.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.errors import WizardError

if TYPE_CHECKING:
    import psycopg

BIN_ENV = "MIGRATION_WIZARD_PG_BIN"  # a folder holding a newer pg_dump/pg_restore


@dataclass(frozen=True)
class Client:
    path: str
    version: str  # "16.2"
    major: int


def _version_of(path: str) -> Client | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    found = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not found:
        return None
    return Client(path, found.group(0), int(found.group(1)))


def _candidates(name: str) -> list[str]:
    found: list[str] = []
    if os.environ.get(BIN_ENV):
        found.append(str(Path(os.environ[BIN_ENV]).expanduser() / name))
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)
    try:
        from wizard.rehearsal.clusters import tool

        found.append(tool(name))  # pgserver's own, PostgreSQL 16
    except WizardError:
        pass
    return list(dict.fromkeys(p for p in found if os.access(p, os.X_OK)))


def client_for(name: str, server_version_num: int) -> Client:
    """The newest `name` (pg_dump, pg_restore) found; refused when the server is newer than it."""
    clients = [c for c in (_version_of(p) for p in _candidates(name)) if c is not None]
    server_major = server_version_num // 10000
    server = f"{server_major}.{server_version_num % 10000}"
    if not clients:
        raise WizardError(f"No {name} was found.",
                          f"Install the PostgreSQL {server_major} client tools and put them on PATH, "
                          f"or set {BIN_ENV} to their bin folder.")
    best = max(clients, key=lambda c: c.major)
    if best.major < server_major:
        raise WizardError(
            f"The server runs PostgreSQL {server}, but the newest {name} found is {best.version} "
            f"({best.path}); {name} cannot work with a server newer than itself.",
            f"Install the PostgreSQL {server_major} client tools (e.g. apt install postgresql-client-{server_major}) "
            f"and put them on PATH, or set {BIN_ENV}=/usr/lib/postgresql/{server_major}/bin.")
    return best


def target_of(conn: "psycopg.AsyncConnection") -> tuple[str, dict[str, str]]:
    """(libpq connection string without the password, the child's environment with PGPASSWORD)."""
    from psycopg.conninfo import make_conninfo

    params = {k: v for k, v in conn.info.get_parameters().items() if k not in ("password", "passfile")}
    params.update(dbname=conn.info.dbname, user=conn.info.user, host=conn.info.host, port=str(conn.info.port))
    child = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if conn.info.password:
        child["PGPASSWORD"] = conn.info.password
    return make_conninfo(**params), child


def private_dir(path: Path) -> Path:
    """A folder only this user can read: dumps hold every row."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def private_file(path: Path) -> int:
    """A new file, mode 0600 from its creation (never briefly world-readable)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


async def run(args: list[str], env: dict[str, str], *, stdout: Any = asyncio.subprocess.PIPE,
              cancelled: asyncio.Event | None = None) -> tuple[int, str]:
    """Run a client program; returns (exit code, stderr). A cancel kills it."""
    proc = await asyncio.create_subprocess_exec(*args, stdout=stdout, stderr=asyncio.subprocess.PIPE,
                                                stdin=asyncio.subprocess.DEVNULL, env=env)
    done = asyncio.ensure_future(proc.communicate())
    waiter = asyncio.ensure_future((cancelled or asyncio.Event()).wait())
    try:
        await asyncio.wait({done, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not done.done():
            proc.kill()
            await done
            from wizard.steps.base import StepCancelled

            raise StepCancelled(f"cancelled by the operator; {Path(args[0]).name} was stopped")
        _, err = done.result()
    finally:
        waiter.cancel()
    return proc.returncode or 0, (err or b"").decode(errors="replace").strip()
