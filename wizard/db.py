"""Async PostgreSQL sessions: connect with clear errors, run SQL as data, cancel on the server."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from wizard.environments import Environment
from wizard.errors import ConnectionFailed
from wizard.redact import redact
from wizard.results import to_jsonable

DEFAULT_MAX_ROWS = 1000


@dataclass
class TableResult:
    """A query's rows as data. `total_rows` is what the server returned; `rows` may be fewer."""

    columns: list[dict[str, str]] = field(default_factory=list)  # {"name", "type"}
    rows: list[list[Any]] = field(default_factory=list)
    total_rows: int = 0
    status: str = ""

    @property
    def truncated(self) -> bool:
        return self.total_rows > len(self.rows)

    def to_data(self) -> dict[str, Any]:
        names = [c["name"] for c in self.columns]
        dict_rows = [dict(zip(names, row)) for row in self.rows]
        return {
            "columns": names,
            "column_types": [c["type"] for c in self.columns],
            "rows": dict_rows,
            "row_count": self.total_rows,
            "shown_rows": len(self.rows),
            "truncated": self.truncated,
            "scalar": self.rows[0][0] if self.rows and self.rows[0] else None,
            "status": self.status,
        }


@dataclass
class Fingerprint:
    system_identifier: str | None
    database: str
    server_version: str
    source: str  # how the identifier was obtained

    def short(self) -> str:
        ident = self.system_identifier or "unknown"
        return f"{ident[-8:]}/{self.database}"

    def as_dict(self) -> dict[str, Any]:
        return {"system_identifier": self.system_identifier, "database": self.database,
                "server_version": self.server_version, "source": self.source}


def describe_connection_error(env: Environment, exc: Exception) -> ConnectionFailed:
    text = redact(str(exc)).strip()
    lower = text.lower()
    if "password authentication failed" in lower or "no password supplied" in lower:
        fix = f"Check the password for {env.name} (`migration-wizard env forget {env.name}` asks again)."
    elif "no such file or directory" in lower or "connection refused" in lower or "could not connect" in lower:
        fix = (f"Start it with `migration-wizard sandbox start {env.name}`." if env.kind == "sandbox"
               else "Check the host and port, and that the server is up (the runbook: check the status page, wait 5 minutes, retry).")
    elif "timeout" in lower:
        fix = "The server did not answer in time: check the network path and firewall."
    elif "does not exist" in lower:
        fix = "Check the database and user names in the profile."
    else:
        fix = "Check the connection settings with `migration-wizard env test`."
    first = text.splitlines()[0] if text else type(exc).__name__
    return ConnectionFailed(f"Cannot connect to {env.name}: {first}", fix)


async def connect(env: Environment, *, password: str | None = None, timeout: int = 10) -> psycopg.AsyncConnection:
    params: dict[str, Any] = dict(env.conninfo)
    if password:
        params["password"] = password
    params.setdefault("connect_timeout", timeout)
    params.setdefault("application_name", "migration-wizard")
    pooled = str(params.pop("pooler", "")).lower() in ("1", "true", "transaction") or str(params.get("port")) == "6543"
    try:
        conn = await psycopg.AsyncConnection.connect(autocommit=True, **params)
    except psycopg.Error as exc:
        raise describe_connection_error(env, exc) from None
    if pooled:
        conn.prepare_threshold = None  # transaction poolers cannot hold prepared statements
    return conn


async def fingerprint(conn: psycopg.AsyncConnection) -> Fingerprint:
    cur = await conn.execute("select current_database(), current_setting('server_version')")
    database, version = await cur.fetchone()  # type: ignore[misc]
    try:
        cur = await conn.execute("select system_identifier::text from pg_control_system()")
        ident, source = (await cur.fetchone())[0], "pg_control_system"  # type: ignore[index]
    except psycopg.errors.InsufficientPrivilege:
        # Managed servers may hide pg_control_system(); the database's OID and creation-time
        # statistics reset stamp are stable for the life of the database and differ between servers.
        cur = await conn.execute(
            "select d.oid::text || '-' || coalesce(extract(epoch from s.stats_reset)::bigint::text, '0') "
            "from pg_database d left join pg_stat_database s on s.datid = d.oid where d.datname = current_database()"
        )
        ident, source = (await cur.fetchone())[0], "database-oid"  # type: ignore[index]
    return Fingerprint(ident, database, version, source)


def _type_name(conn: psycopg.AsyncConnection, oid: int) -> str:
    info = conn.adapters.types.get(oid)
    return info.name if info else str(oid)


async def fetch_table(cur: psycopg.AsyncCursor, conn: psycopg.AsyncConnection, max_rows: int) -> TableResult:
    if cur.description is None:
        return TableResult(status=cur.statusmessage or "", total_rows=max(cur.rowcount, 0))
    columns = [{"name": d.name, "type": _type_name(conn, d.type_code)} for d in cur.description]
    rows = await cur.fetchmany(max_rows)
    total = cur.rowcount if cur.rowcount >= 0 else len(rows)
    return TableResult(columns, [[to_jsonable(v) for v in row] for row in rows], total, cur.statusmessage or "")


async def run_query(conn: psycopg.AsyncConnection, text: str, *, max_rows: int = DEFAULT_MAX_ROWS) -> TableResult:
    async with conn.cursor() as cur:
        await cur.execute(text)  # type: ignore[arg-type]
        return await fetch_table(cur, conn, max_rows)


async def public_tables(conn: psycopg.AsyncConnection) -> list[str]:
    cur = await conn.execute(
        "select table_name from information_schema.tables where table_schema = 'public' "
        "and table_type = 'BASE TABLE' order by table_name"
    )
    return [r[0] for r in await cur.fetchall()]


async def schema_digest(conn: psycopg.AsyncConnection) -> str:
    """A fingerprint of public's columns, constraints and policies: equal digests, same schema."""
    cur = await conn.execute(
        "select string_agg(x, E'\\n' order by x) from ("
        " select format('col %s.%s %s %s %s', table_name, column_name, data_type, is_nullable, ordinal_position) x"
        "   from information_schema.columns where table_schema = 'public'"
        " union all select format('con %s %s', conrelid::regclass, pg_get_constraintdef(oid))"
        "   from pg_constraint where connamespace = 'public'::regnamespace"
        " union all select format('pol %s.%s %s', tablename, policyname, qual) from pg_policies where schemaname = 'public'"
        " union all select format('idx %s', indexdef) from pg_indexes where schemaname = 'public') s"
    )
    text = (await cur.fetchone())[0] or ""  # type: ignore[index]
    return hashlib.sha256(text.encode()).hexdigest()


async def row_counts(conn: psycopg.AsyncConnection, tables: list[str]) -> dict[str, int]:
    present = set(await public_tables(conn))
    counts: dict[str, int] = {}
    for table in tables:
        if table in present:
            cur = await conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("public", table)))
            counts[table] = (await cur.fetchone())[0]  # type: ignore[index]
    return counts


async def cancel(conn: psycopg.AsyncConnection) -> None:
    """Ask the server to cancel whatever this connection is running."""
    try:
        await conn.cancel_safe()
    except Exception:  # noqa: BLE001 - a cancel that fails must not hide the original state
        pass
