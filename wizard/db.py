"""Running SQL on an open connection: results as data, schema digests, row counts, cancel on the server.

Connecting (and the server's fingerprint) is wizard.environments.connections."""

from __future__ import annotations

import hashlib
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Mapping

import psycopg
from psycopg import sql

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


# For steps that only read; a runbook step may set its own.
READ_STATEMENT_TIMEOUT = "30s"
READ_LOCK_TIMEOUT = "5s"
READ_ONLY_VIOLATION = "25006"  # read_only_sql_transaction: the SQL tried to write


@asynccontextmanager
async def read_only(conn: psycopg.AsyncConnection, *, statement_timeout: str = READ_STATEMENT_TIMEOUT,
                    lock_timeout: str = READ_LOCK_TIMEOUT) -> AsyncIterator[psycopg.AsyncConnection]:
    """A READ ONLY transaction with local timeouts, rolled back at the end: SQL run in it cannot
    change data however it is written, and cannot wait on a lock or run longer than allowed."""
    async with conn.transaction(force_rollback=True):
        await conn.execute("set transaction read only")
        await conn.execute(sql.SQL("set local statement_timeout = {}").format(sql.Literal(statement_timeout)))
        await conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(lock_timeout)))
        yield conn


def qualified(conn: psycopg.AsyncConnection, name: str) -> str:
    """A parsed table name ("t" or "schema.t") quoted for to_regclass, as the server would read it."""
    return sql.Identifier(*name.split(".")).as_string(conn)


async def existing_tables(conn: psycopg.AsyncConnection, names: list[str]) -> list[str]:
    """Those of `names` that exist now, in the order given."""
    if not names:
        return []
    cur = await conn.execute(
        "select n from unnest(%s::text[], %s::text[]) with ordinality u(n, q, i) where to_regclass(q) is not null "
        "order by i", (names, [qualified(conn, n) for n in names]))
    return [r[0] for r in await cur.fetchall()]


async def foreign_key_partners(conn: psycopg.AsyncConnection, names: list[str]) -> list[str]:
    """The tables joined to these by a foreign key, either way, not among them: dropping a table
    also drops the constraints (and their triggers) on those, which locks them too."""
    if not names:
        return []
    cur = await conn.execute(
        "with t as (select to_regclass(q) as oid from unnest(%s::text[]) q where to_regclass(q) is not null) "
        "select distinct p.oid::regclass::text from ("
        "  select c.conrelid as oid from pg_constraint c where c.contype = 'f' and c.confrelid in (select oid from t)"
        "  union select c.confrelid from pg_constraint c where c.contype = 'f' and c.conrelid in (select oid from t)) p "
        "where p.oid not in (select oid from t) order by 1", ([qualified(conn, n) for n in names],))
    return [r[0] for r in await cur.fetchall()]


LOCK_HOLDERS_SQL = """
select l.relation::regclass::text as table_name, l.mode, l.pid, coalesce(a.application_name, '') as application_name,
       coalesce(a.state, '') as state,
       round(extract(epoch from clock_timestamp() - a.xact_start)::numeric, 1)::float8 as transaction_open_s,
       left(coalesce(a.query, ''), 300) as query
  from pg_locks l left join pg_stat_activity a on a.pid = l.pid
 where l.locktype = 'relation' and l.granted and l.pid <> pg_backend_pid()
   and l.database = (select oid from pg_database where datname = current_database())
   and l.relation in (select to_regclass(q) from unnest(%s::text[]) q)
 order by a.xact_start nulls last, l.pid, 1
"""


async def lock_holders(conn: psycopg.AsyncConnection, tables: list[str]) -> list[dict[str, Any]]:
    """Other sessions holding locks on `tables`: pid, application_name, state, how long their
    transaction has been open, their query. Run it READ ONLY (see read_only)."""
    from wizard.redact import redact

    if not tables:
        return []
    cur = await conn.execute(LOCK_HOLDERS_SQL, ([qualified(conn, t) for t in tables],))
    names = [d.name for d in cur.description or ()]
    rows = [dict(zip(names, row)) for row in await cur.fetchall()]
    for row in rows:
        row["query"] = redact(" ".join(str(row["query"]).split()))
    return rows


async def public_tables(conn: psycopg.AsyncConnection) -> list[str]:
    cur = await conn.execute(
        "select table_name from information_schema.tables where table_schema = 'public' "
        "and table_type = 'BASE TABLE' order by table_name"
    )
    return [r[0] for r in await cur.fetchall()]


# Every schema a migration can change; the server's own are left out.
USER_SCHEMA = ("{col} not in ('pg_catalog', 'information_schema') "
               "and {col} not like 'pg\\_toast%' and {col} not like 'pg\\_temp%'")


def display_name(schema: str, table: str) -> str:
    """public's tables bare, others schema-qualified: as regclass prints them and wizard.analysis parses them."""
    return table if schema == "public" else f"{schema}.{table}"


async def user_tables(conn: psycopg.AsyncConnection) -> list[tuple[str, str]]:
    """(schema, table) of every base table in every non-system schema."""
    cur = await conn.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' and "
        + USER_SCHEMA.format(col="table_schema") + " order by table_schema, table_name"
    )
    return [(r[0], r[1]) for r in await cur.fetchall()]


async def schema_digest(conn: psycopg.AsyncConnection) -> str:
    """A fingerprint of every user schema's columns, constraints, policies and indexes: equal digests, same schema."""
    cur = await conn.execute(
        "select string_agg(x, E'\\n' order by x) from ("
        " select format('col %s.%s.%s %s %s %s', table_schema, table_name, column_name, data_type, is_nullable,"
        "   ordinal_position) x from information_schema.columns where " + USER_SCHEMA.format(col="table_schema") +
        " union all select format('con %s.%s %s', n.nspname, conrelid::regclass, pg_get_constraintdef(c.oid))"
        "   from pg_constraint c join pg_namespace n on n.oid = c.connamespace where " + USER_SCHEMA.format(col="n.nspname") +
        " union all select format('pol %s.%s.%s %s', schemaname, tablename, policyname, qual) from pg_policies"
        "   where " + USER_SCHEMA.format(col="schemaname") +
        " union all select format('idx %s', indexdef) from pg_indexes where " + USER_SCHEMA.format(col="schemaname") + ") s"
    )
    text = (await cur.fetchone())[0] or ""  # type: ignore[index]
    return hashlib.sha256(text.encode()).hexdigest()


async def row_counts(conn: psycopg.AsyncConnection, tables: list[str],
                     known: Mapping[str, int] | None = None) -> dict[str, int]:
    """Rows of each table that exists; a bare name is public's, `schema.table` another schema's.
    `known`: rows this transaction already counted (a fingerprint's count), by "schema.table" as
    format('%I.%I') writes it; those tables are not read a second time."""
    if not tables:
        return {}
    parts = [table.rpartition(".") for table in tables]
    cur = await conn.execute(
        "select u.i, format('%%I.%%I', u.s, u.t) from unnest(%s::text[], %s::text[]) with ordinality u(s, t, i) "
        "where exists (select from information_schema.tables where table_type = 'BASE TABLE' and "
        + USER_SCHEMA.format(col="table_schema").replace("%", "%%")
        + " and table_schema = u.s and table_name = u.t) order by u.i",
        ([schema or "public" for schema, _, _ in parts], [name for _, _, name in parts]))
    counts: dict[str, int] = {}
    for index, name in await cur.fetchall():
        table = tables[index - 1]
        if known is not None and name in known:
            counts[table] = known[name]
            continue
        schema, _, bare = parts[index - 1]
        cur = await conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema or "public", bare)))
        counts[table] = (await cur.fetchone())[0]  # type: ignore[index]
    return counts


async def cancel(conn: psycopg.AsyncConnection) -> None:
    """Ask the server to cancel whatever this connection is running."""
    try:
        await conn.cancel_safe()
    except Exception:  # noqa: BLE001 - a cancel that fails must not hide the original state
        pass
