"""An archive of exactly what a destructive migration drops, taken just before it runs.

Each table the migration drops (parsed from its SQL, never listed by hand) is dumped on its own
with pg_dump -Fc -t (definition, constraints, indexes, policies, owned sequences and rows), so
one table can be brought back without the others; each dropped column is saved with its table's
primary key (COPY … TO STDOUT). Foreign keys that other, surviving tables hold into the dropped
ones (which DROP … CASCADE removes silently) are written down so a restore can put them back.
Everything lands in <data dir>/archives/<env>/<UTC stamp>-<migration>/ with a manifest.json;
the migration step journals the manifest's summary (files, sizes, SHA-256, row counts).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard import paths, pgclient
from wizard.analysis import analyse_text, dropped_columns

if TYPE_CHECKING:
    import asyncio

    import psycopg

    from wizard.fingerprint import TablePrint

MANIFEST = "manifest.json"


def archives_dir(env_name: str) -> Path:
    return paths.data_dir() / "archives" / env_name


async def _existing(conn: "psycopg.AsyncConnection", names: list[str]) -> list[dict[str, Any]]:
    """The named tables that exist now, resolved as the migration will resolve them (search_path)."""
    found: list[dict[str, Any]] = []
    for name in names:
        cur = await conn.execute(
            "select c.oid, n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where c.oid = to_regclass(%s) and c.relkind in ('r', 'p')", (name,))
        row = await cur.fetchone()
        if row is not None:
            found.append({"oid": row[0], "schema": row[1], "table": row[2], "name": name})
    return found


async def _foreign_keys(conn: "psycopg.AsyncConnection", oids: list[int]) -> tuple[dict[int, list[int]], list[dict[str, Any]]]:
    """Which archived tables each references (restore order), and the FKs surviving tables hold into them."""
    cur = await conn.execute(
        "select con.conrelid, con.confrelid, con.conname, n.nspname, c.relname, pg_get_constraintdef(con.oid) "
        "from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace "
        "where con.contype = 'f' and (con.conrelid = any(%s) or con.confrelid = any(%s))", (oids, oids))
    references: dict[int, list[int]] = {}
    incoming: list[dict[str, Any]] = []
    for conrelid, confrelid, name, schema, table, definition in await cur.fetchall():
        if conrelid in oids and confrelid in oids and conrelid != confrelid:
            references.setdefault(conrelid, []).append(confrelid)
        elif conrelid not in oids and confrelid in oids:
            incoming.append({"schema": schema, "table": table, "name": name, "definition": definition,
                             "references": confrelid})
    return references, incoming


async def _primary_key(conn: "psycopg.AsyncConnection", schema: str, table: str) -> list[str]:
    cur = await conn.execute(
        "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
        "where i.indrelid = format('%%I.%%I', %s::text, %s::text)::regclass and i.indisprimary order by a.attnum",
        (schema, table))
    return [r[0] for r in await cur.fetchall()]


async def _save_column(conn: "psycopg.AsyncConnection", folder: Path, schema: str, table: str,
                       column: str) -> dict[str, Any] | None:
    from psycopg import sql

    cur = await conn.execute(
        "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = format('%%I.%%I', %s::text, %s::text)::regclass "
        "and attname = %s and not attisdropped and attnum > 0", (schema, table, column))
    row = await cur.fetchone()
    if row is None:
        return None
    key = await _primary_key(conn, schema, table)
    # Without a primary key, ctid is the only row identity; it is recorded as such.
    columns = [sql.Identifier(k) for k in key] if key else [sql.SQL("ctid")]
    query = sql.SQL("copy (select {}, {} from {} order by 1) to stdout").format(
        sql.SQL(", ").join(columns), sql.Identifier(column), sql.Identifier(schema, table))
    target = folder / f"{schema}.{table}.{column}.copy"
    fd = pgclient.private_file(target)
    rows = 0
    with open(fd, "wb") as fh:
        async with conn.cursor() as cur, cur.copy(query) as copy:
            async for chunk in copy:
                fh.write(chunk)
                rows += bytes(chunk).count(b"\n")
    return {"schema": schema, "table": table, "column": column, "type": row[0], "key": key or ["ctid"],
            "file": target.name, "size": target.stat().st_size, "sha256": pgclient.sha256_file(target), "rows": rows}


async def before_migration(conn: "psycopg.AsyncConnection", text: str, migration: Path, env_name: str,
                           cancelled: "asyncio.Event | None" = None, lock_wait: str = "2s") -> dict[str, Any] | None:
    """Archive what `text` would drop from the connected database; None when it drops nothing present.
    Reading a table another session holds exclusively waits at most `lock_wait`, then the archive
    (and so the migration) gives up, as the migration's own locks would."""
    from psycopg import sql

    await conn.execute(sql.SQL("set lock_timeout = {}").format(sql.Literal(lock_wait)))
    try:
        return await _archive(conn, text, migration, env_name, cancelled, lock_wait)
    finally:
        await conn.execute("reset lock_timeout")


async def _archive(conn: "psycopg.AsyncConnection", text: str, migration: Path, env_name: str,
                   cancelled: "asyncio.Event | None", lock_wait: str) -> dict[str, Any] | None:
    import datetime as dt

    from psycopg import sql

    from wizard.steps.backup import dump

    plan = analyse_text(text, str(migration))
    # A table dropped and created again (a rebuild) loses its old rows just the same.
    tables = await _existing(conn, list(dict.fromkeys(plan.dropped_tables + plan.rebuilt_tables)))
    columns = [c for c in dropped_columns(text) if c[0] not in {t["name"] for t in tables}]
    present_columns = await _existing(conn, list(dict.fromkeys(t for t, _ in columns)))
    if not tables and not present_columns:
        return None
    # Every table to read, at once and within lock_wait (set on the session): a table another
    # session holds exclusively makes the archive, and so the migration, give up (55P03) before
    # anything is written.
    held = [sql.Identifier(t["schema"], t["table"]) for t in tables + present_columns]
    async with conn.transaction():
        await conn.execute(sql.SQL("lock table {} in access share mode").format(sql.SQL(", ").join(held)))
    t0 = time.monotonic()
    stamp = dt.datetime.now(dt.timezone.utc)
    folder = pgclient.private_dir(archives_dir(env_name) / f"{stamp:%Y%m%dT%H%M%S.%fZ}-{migration.stem}")
    oids = [t["oid"] for t in tables]
    references, incoming = await _foreign_keys(conn, oids)
    by_oid = {t["oid"]: t for t in tables}
    archived: list[dict[str, Any]] = []
    client_version = None
    for t in tables:
        quoted = '"{}"."{}"'.format(t["schema"].replace('"', '""'), t["table"].replace('"', '""'))
        done = await dump(conn, folder / f"{t['schema']}.{t['table']}.dump",
                          ["-t", quoted, f"--lock-wait-timeout={lock_wait}"], cancelled)
        client_version = done["pg_dump_version"]
        print_ = await table_print(conn, t["schema"], t["table"])
        archived.append({
            "schema": t["schema"], "table": t["table"], "rebuilt": t["name"] in plan.rebuilt_tables,
            "file": Path(done["path"]).name, "size": done["size"], "sha256": done["sha256"], "rows": print_.rows,
            # a restore proves it brought back these rows: the same count and content fingerprint
            "fingerprint": print_.to_data(),
            "references": sorted(f"{by_oid[o]['schema']}.{by_oid[o]['table']}" for o in references.get(t["oid"], [])),
        })
    for fk in incoming:
        target = by_oid[fk.pop("references")]
        fk["references"] = f"{target['schema']}.{target['table']}"
    resolved = {c["name"]: c for c in present_columns}
    saved_columns = [s for s in [await _save_column(conn, folder, resolved[t]["schema"], resolved[t]["table"], col)
                                 for t, col in columns if t in resolved] if s is not None]
    manifest = {
        "migration": migration.name, "migration_sha256": plan.sha256, "env": env_name,
        "database": conn.info.dbname, "taken_at": stamp.isoformat(timespec="seconds"),
        "pg_dump_version": client_version, "server_version": conn.info.parameter_status("server_version"),
        "tables": archived, "columns": saved_columns, "incoming_foreign_keys": incoming,
    }
    fd = pgclient.private_file(folder / MANIFEST)
    with open(fd, "w") as fh:
        json.dump(manifest, fh, indent=2)
    return {**manifest, "folder": str(folder), "manifest_sha256": pgclient.sha256_file(folder / MANIFEST),
            "seconds": round(time.monotonic() - t0, 3)}


async def table_print(conn: "psycopg.AsyncConnection", schema: str, table: str) -> "TablePrint":
    """One table's whole-row fingerprint (its count included), as the migration step takes them."""
    from wizard.fingerprint import canonical_output, hasher, table_prints

    name = await _qualified(conn, schema, table)
    async with conn.transaction():
        how = await hasher(conn, [name])
        async with canonical_output(conn):
            return (await table_prints(conn, name, [None], how))[0]


async def _qualified(conn: "psycopg.AsyncConnection", schema: str, table: str) -> str:
    cur = await conn.execute("select format('%%I.%%I', %s::text, %s::text)", (schema, table))
    return (await cur.fetchone())[0]  # type: ignore[index]


def read_manifest(folder: Path, expected_sha256: str | None) -> dict[str, Any]:
    """The archive's manifest, refused if it is not the one journaled."""
    from wizard.errors import WizardError

    path = folder / MANIFEST
    if not path.exists():
        raise WizardError(f"The archive {folder} is gone (no {MANIFEST}).",
                          "Restore from the pre-migration backup instead (`migration-wizard rollback`).")
    if expected_sha256 and pgclient.sha256_file(path) != expected_sha256:
        raise WizardError(f"The archive's manifest {path} is not the one journaled (its SHA-256 differs).",
                          "Do not restore from a changed archive; use the pre-migration backup instead.")
    return json.loads(path.read_text())


def restore_order(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Referenced tables first, so each table's foreign keys find their targets (cycles: as saved)."""
    names = {f"{e['schema']}.{e['table']}": e for e in entries}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path or name not in names:
            return
        for ref in names[name]["references"]:
            visit(ref, path + (name,))
        seen.add(name)
        ordered.append(names[name])

    for name in names:
        visit(name, ())
    return ordered
