"""restore: bring back tables from a migration's archive, or a whole database from a backup.

A production-role write like any other (wizard.guards: the typed name, a fresh backup). Every
file is checked against the SHA-256 journaled when it was written before pg_restore reads it.
Tables: each table's own dump is restored in one transaction, referenced tables first; a table
that exists now is refused (nothing is overwritten); the foreign keys surviving tables held into
it are put back. Database: pg_restore --clean --if-exists of the whole dump, in one transaction.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from wizard.steps.base import ParamProblem, Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    import psycopg

    from wizard.runbook.model import Step


class RestoreParams(Params):
    source: Annotated[str, param("an archive folder (mode tables) or a pg_dump -Fc file (mode database)",
                                 examples=["~/.local/share/migration-wizard/archives/staging/20261201T101500Z-012_remove_unused_features"])]
    mode: Annotated[Literal["tables", "database"], param(
        "tables: the named tables from a migration's archive; database: the whole dump, replacing what is there")] = "tables"
    tables: Annotated[list[str], param("the tables to bring back (mode tables; schema.table)",
                                       examples=[["public.quests"]])] = []
    sha256: Annotated[str, param("the SHA-256 journaled for the archive's manifest or the dump: a different file is refused")] = ""


def _check(p: RestoreParams) -> None:
    if p.mode == "tables" and not p.tables:
        raise ParamProblem("tables", "mode tables needs the tables to restore", 'Write tables = ["public.quests"].')


KIND = StepKind(
    name="restore",
    rank=120,
    description="Restores tables from a migration's archive, or the whole database from a backup (pg_restore).",
    params=RestoreParams,
    check=_check,
    needs_database=True,
    writes=True,
    runtime_imports=("psycopg", "wizard.pgclient", "wizard.archive", "wizard.errors"),
    results=(
        ResultField("mode", "string", "tables or database"),
        ResultField("source", "string", "the archive folder or dump restored from"),
        ResultField("restored", "list of strings", "the tables brought back (mode tables)"),
        ResultField("rows", "table", "rows in each restored table after the restore, by table"),
        ResultField("archived_rows", "table", "rows the archive recorded for each, by table"),
        ResultField("fingerprints", "table", "each restored table's rows and content fingerprint after the restore, "
                    "with the archive's (taken just before the migration dropped it) under archived: a "
                    "difference fails the step"),
        ResultField("foreign_keys_restored", "list of strings", "foreign keys of surviving tables put back"),
        ResultField("foreign_keys_not_restored", "list of strings", "those that could not be put back, and why"),
        ResultField("table_count", "integer", "base tables in public after the restore"),
        ResultField("pg_restore_version", "string", "the pg_restore used"),
        ResultField("seconds", "number", "how long the restore took"),
    ),
)


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    p = KIND.read(step)
    if p.mode == "database":
        return {"language": "text", "text": f"pg_restore --clean --if-exists --single-transaction {p.source}"}
    return {"language": "text", "text": f"pg_restore --single-transaction of {', '.join(p.tables)} from {p.source}"}


async def _pg_restore(conn: "psycopg.AsyncConnection", dump: "Path", extra: list[str], ctx: StepContext) -> str:
    from wizard import pgclient

    client = pgclient.client_for("pg_restore", conn.info.server_version)
    dsn, child_env = pgclient.target_of(conn)
    code, err = await pgclient.run([client.path, "--single-transaction", "--exit-on-error", *extra, "-d", dsn, str(dump)],
                                   child_env, cancelled=ctx.cancelled)
    if code != 0:
        raise StepFailure(f"pg_restore of {dump.name} failed and was rolled back (exit {code}): {err[-600:]}",
                          {"pg_restore_version": client.version})
    return client.version


def _verify(path: "Path", expected: str) -> None:
    from wizard import pgclient

    if not path.exists():
        raise StepFailure(f"{path} is gone; nothing was restored")
    if expected and pgclient.sha256_file(path) != expected:
        raise StepFailure(f"{path} is not the file journaled when it was written (its SHA-256 differs); nothing was restored")


async def _table_count(conn: "psycopg.AsyncConnection") -> int:
    cur = await conn.execute("select count(*) from information_schema.tables where table_schema = 'public' "
                             "and table_type = 'BASE TABLE'")
    return (await cur.fetchone())[0]  # type: ignore[index]


async def _exists(conn: "psycopg.AsyncConnection", name: str) -> bool:
    """Whether schema.table exists (quoted as an identifier: the name is never parsed as SQL)."""
    from psycopg import sql

    cur = await conn.execute("select to_regclass(%s)", (sql.Identifier(*name.split(".", 1)).as_string(conn),))
    return (await cur.fetchone())[0] is not None  # type: ignore[index]


async def _restore_tables(p: RestoreParams, conn: "psycopg.AsyncConnection", ctx: StepContext) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    from wizard import archive
    from wizard.errors import WizardError

    folder = Path(p.source).expanduser()
    try:
        manifest = archive.read_manifest(folder, p.sha256)
    except WizardError as exc:
        raise StepFailure(f"{exc.what} {exc.fix}") from None
    entries = {f"{e['schema']}.{e['table']}": e for e in manifest["tables"]}
    missing = [t for t in p.tables if t not in entries]
    if missing:
        raise StepFailure(f"the archive {folder.name} holds no {', '.join(missing)} (it holds {', '.join(entries)})")
    chosen = archive.restore_order([entries[t] for t in p.tables])
    present = [name for name in p.tables if await _exists(conn, name)]
    if present:
        raise StepFailure(f"{', '.join(present)} exists now; a restore never overwrites a table. Rename it "
                          f"(ALTER TABLE … RENAME TO …) or drop it yourself if it is to be replaced, then restore again")
    for entry in chosen:
        _verify(folder / entry["file"], entry["sha256"])
    data: dict[str, Any] = {"restored": [], "rows": {}, "archived_rows": {}, "fingerprints": {}}
    for entry in chosen:
        name = f"{entry['schema']}.{entry['table']}"
        gone = [r for r in entry["references"] if r not in p.tables and not await _exists(conn, r)]
        if gone:
            raise StepFailure(f"{name} references {', '.join(gone)}, which is not there: restore "
                              f"{', '.join(gone)} first, or all of the migration's tables together",
                              data)
        data["pg_restore_version"] = await _pg_restore(conn, folder / entry["file"], [], ctx)
        now = await archive.table_print(conn, entry["schema"], entry["table"])
        data["restored"].append(name)
        data["rows"][name] = now.rows
        data["archived_rows"][name] = entry["rows"]
        data["fingerprints"][name] = {**now.to_data(), "archived": entry.get("fingerprint")}
    data["foreign_keys_restored"], data["foreign_keys_not_restored"] = [], []
    for fk in manifest["incoming_foreign_keys"]:
        if fk["references"] not in data["restored"]:
            continue
        label = f"{fk['schema']}.{fk['table']}.{fk['name']}"
        # The definition is the server's own pg_get_constraintdef text, saved in the archive.
        statement = sql.SQL("alter table {} add constraint {} {}").format(
            sql.Identifier(fk["schema"], fk["table"]), sql.Identifier(fk["name"]), sql.SQL(fk["definition"]))
        try:
            async with conn.transaction():
                await conn.execute(statement)
            data["foreign_keys_restored"].append(label)
        except psycopg.Error as exc:
            data["foreign_keys_not_restored"].append(f"{label}: {(exc.diag.message_primary or str(exc)).strip()}")
    differs = [f"{name} ({got['rows']} rows, fingerprint {got['hash'][:12]}; archived: {a['rows']} rows, {a['hash'][:12]})"
               for name, got in data["fingerprints"].items()
               if (a := got.get("archived")) and a.get("scheme") == got["scheme"]
               and (a["rows"], a["hash"]) != (got["rows"], got["hash"])]
    if differs:
        raise StepFailure("restored, but not as archived: " + "; ".join(differs) + ". The table is back as "
                          "pg_restore made it; compare it with the archive's dump before relying on it", data)
    return data


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    from wizard.errors import WizardError

    p = KIND.read(step)
    conn = await ctx.connection()
    t0 = time.monotonic()
    try:
        if p.mode == "database":
            dump = Path(p.source).expanduser()
            _verify(dump, p.sha256)
            data: dict[str, Any] = {"pg_restore_version": await _pg_restore(conn, dump, ["--clean", "--if-exists"], ctx)}
        else:
            data = await _restore_tables(p, conn, ctx)
    except WizardError as exc:  # a client too old for the server
        raise StepFailure(f"{exc.what} {exc.fix}") from None
    data.update(mode=p.mode, source=p.source, table_count=await _table_count(conn), seconds=round(time.monotonic() - t0, 3))
    return data
