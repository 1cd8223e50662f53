"""backup: a pg_dump (custom format) of the environment's database, taken by the wizard.

The dump goes to <data dir>/backups/<env>/<UTC stamp>.dump (0600 in a 0700 folder). Its time
counts as a backup "taken by the wizard" for the production gate; its path, size and SHA-256
are journaled so a restore can prove it restores the very file that was taken.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import TYPE_CHECKING, Annotated, Any

from wizard.steps.base import Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    from pathlib import Path

    import psycopg

    from wizard.runbook.model import Step


class BackupParams(Params):
    folder: Annotated[str, param("where the dump is written (default: the data dir's backups/<env>/)",
                                 examples=["~/backups/{env.name}"])] = ""


KIND = StepKind(
    name="backup",
    rank=110,  # after the Week 1 runbook's own kinds (error hints list those first)
    description="Takes a pg_dump (custom format) of the environment's database and records its size and SHA-256.",
    params=BackupParams,
    needs_database=True,
    runtime_imports=("psycopg", "wizard.pgclient", "wizard.paths", "wizard.errors"),
    results=(
        ResultField("path", "string", "the dump file"),
        ResultField("size", "integer", "its size in bytes"),
        ResultField("sha256", "string", "its SHA-256"),
        ResultField("taken_at", "string", "when the dump started (UTC, ISO 8601): the backup's time"),
        ResultField("pg_dump_version", "string", "the pg_dump used"),
        ResultField("server_version", "string", "the server's version"),
        ResultField("database", "string", "the database dumped"),
        ResultField("seconds", "number", "how long the dump took"),
    ),
)


def default_folder(env_name: str) -> "Path":
    from wizard import paths

    return paths.data_dir() / "backups" / env_name


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    folder = KIND.read(step).folder or str(default_folder(ctx.env.name))
    return {"language": "text", "text": f"pg_dump -Fc <{ctx.env.name}'s database> > {folder}/<UTC time>.dump"}


async def dump(conn: "psycopg.AsyncConnection", target: "Path", extra: list[str] | None = None,
               cancelled: Any = None) -> dict[str, Any]:
    """pg_dump -Fc of the connected database (or of `extra`'s selection) into a new 0600 file."""
    from wizard import pgclient

    client = pgclient.client_for("pg_dump", conn.info.server_version)
    dsn, child_env = pgclient.target_of(conn)
    pgclient.private_dir(target.parent)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.monotonic()
    fd = pgclient.private_file(target)
    try:
        code, err = await pgclient.run([client.path, "-Fc", *(extra or []), "-d", dsn], child_env, stdout=fd,
                                       cancelled=cancelled)
    except BaseException:
        os.close(fd)
        target.unlink(missing_ok=True)
        raise
    os.close(fd)
    if code != 0:
        target.unlink(missing_ok=True)
        raise StepFailure(f"pg_dump failed (exit {code}): {err[-500:]}", {"pg_dump_version": client.version})
    return {
        "path": str(target),
        "size": target.stat().st_size,
        "sha256": pgclient.sha256_file(target),
        "taken_at": started.isoformat(timespec="seconds"),
        "pg_dump_version": client.version,
        "server_version": conn.info.parameter_status("server_version") or str(conn.info.server_version),
        "database": conn.info.dbname,
        "seconds": round(time.monotonic() - t0, 3),
    }


def stamp() -> str:
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S.%fZ}"


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    from wizard.errors import WizardError

    p = KIND.read(step)
    folder = ctx.path(p.folder) if p.folder else default_folder(ctx.env.name)
    conn = await ctx.connection()
    try:
        return await dump(conn, folder / f"{stamp()}.dump", cancelled=ctx.cancelled)
    except WizardError as exc:  # a client too old: the step fails with what to install
        raise StepFailure(f"{exc.what} {exc.fix}") from None
