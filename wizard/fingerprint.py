"""Row counts and order-independent content fingerprints of tables, computed in the database.

Each row (the whole row, or a row built from chosen columns) is hashed on the server to 64 bits:
with hash_record_extended (each column's own type hash: no text is made, so it is fast and
independent of display settings) when every column's type has an extended hash function, else
with hashtextextended over the row's text (in one canonical output form). A table's fingerprint
is the row count and the exact sum of the row hashes (sum(bigint) is numeric, accumulated in
128 bits). Each row hash goes through hashint8extended before the sum: hash_record_extended
combines a row's column hashes linearly (h*31 + next), so a plain sum would be a weighted sum of
per-column sums, blind to values swapped between rows of one column (SCHEME 2; 1 was the plain
sum). Row order and physical layout do not matter, nothing reaches the client but two numbers per
column set, one row deleted, added or changed changes it, and the aggregate runs in
parallel workers where the server allows. Equal values hash equal: 1.0 becoming 1.00 is no change.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterable

import psycopg
from psycopg import sql

from wizard.catalog.objects import USER_SCHEMA


SCHEME = 2  # recorded with every print: prints of different schemes are never compared


@dataclass(frozen=True)
class TablePrint:
    rows: int
    hash: str
    columns: tuple[str, ...] | None = None  # None: the whole row

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rows": self.rows, "hash": self.hash, "scheme": SCHEME}
        if self.columns is not None:
            data["columns"] = list(self.columns)
        return data


async def user_tables(conn: psycopg.AsyncConnection) -> dict[str, list[str]]:
    """Every ordinary or partitioned table outside the system schemas ("schema.table", quoted as
    needed) → its column names in order. Partitions are left out: the parent covers their rows."""
    cur = await conn.execute(f"""
        select format('%I.%I', n.nspname, c.relname), array_agg(a.attname::text order by a.attnum)
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where c.relkind in ('r', 'p') and not c.relispartition and {USER_SCHEMA}
         group by 1 order by 1""")
    return {name: list(cols) for name, cols in await cur.fetchall()}


# A row's text depends on these settings (a timestamptz on TimeZone, a date on DateStyle, …): two
# sessions configured differently would fingerprint the same rows differently.
_CANONICAL = {"TimeZone": "UTC", "DateStyle": "ISO, YMD", "IntervalStyle": "postgres",
              "extra_float_digits": "3", "bytea_output": "hex"}
_SET = "select " + ", ".join(f"set_config('{k}', %s, true)" for k in _CANONICAL)
_READ = "select " + ", ".join(f"current_setting('{k}')" for k in _CANONICAL)


@asynccontextmanager
async def canonical_output(conn: psycopg.AsyncConnection) -> AsyncIterator[None]:
    """Inside a transaction: row text in one fixed form while fingerprinting, then the session's
    own settings back (a migration's statements run with what the operator configured)."""
    cur = await conn.execute(_READ)
    previous = await cur.fetchone()
    await conn.execute(_SET, list(_CANONICAL.values()))
    try:
        yield
    finally:
        if not conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            await conn.execute(_SET, list(previous or ()))


def _split(name: str) -> tuple[str, str]:
    schema, _, table = name.partition(".")
    return schema.strip('"'), table.strip('"')


@dataclass
class Hasher:
    """How each table's rows are hashed: by type hashes when every column allows it."""

    columns: dict[str, list[tuple[str, str]]]  # table → [(column, type)] in order
    hashable: set[str]  # types with an extended hash function

    def expr(self, name: str, cols: Iterable[str] | None) -> sql.Composable:
        types = dict(self.columns.get(name, []))
        chosen = [c for c, _ in self.columns.get(name, [])] if cols is None else list(cols)
        row = sql.SQL("row({})").format(sql.SQL(", ").join(sql.SQL("t.") + sql.Identifier(c) for c in chosen))
        if chosen and all(types.get(c) in self.hashable for c in chosen):
            raw = sql.SQL("hash_record_extended({}, 0)").format(row)
        else:
            raw = sql.SQL("hashtextextended({}::text, 0)").format(sql.SQL("t") if cols is None else row)
        return sql.SQL("hashint8extended({}, 0)").format(raw)  # the per-row mix: see SCHEME

    def names(self) -> dict[str, list[str]]:
        """user_tables()'s answer, from the same catalogue read."""
        return {name: [c for c, _ in cols] for name, cols in self.columns.items()}


async def hasher(conn: psycopg.AsyncConnection, tables: Iterable[str] | None = None,
                 known: Hasher | None = None) -> Hasher:
    """Column types of the user tables, and which types hash_record_extended can hash (probed
    once per type, in a savepoint: json, xml and point cannot; servers before 14 have none)."""
    cur = await conn.execute(f"""
        select format('%I.%I', n.nspname, c.relname), a.attname::text, format_type(a.atttypid, a.atttypmod)
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where c.relkind in ('r', 'p') and not c.relispartition and {USER_SCHEMA}
         order by 1, a.attnum""")
    wanted = set(tables) if tables is not None else None
    columns: dict[str, list[tuple[str, str]]] = {}
    for name, col, typ in await cur.fetchall():
        if wanted is None or name in wanted:
            columns.setdefault(name, []).append((col, typ))
    # A type `known` already probed is hashed as it was then: prints taken before and after a
    # migration in one transaction are compared, so they must hash alike.
    probed = {t for cols in known.columns.values() for _, t in cols} if known else set()
    hashable = set(known.hashable) if known else set()
    for typ in sorted({t for cols in columns.values() for _, t in cols} - probed):
        try:
            async with conn.transaction():  # a savepoint: a type without a hash must not end the transaction
                await conn.execute(sql.SQL("select hash_record_extended(row(NULL::{}), 0)").format(sql.SQL(typ)))
            hashable.add(typ)
        except psycopg.Error:
            pass
    return Hasher(columns, hashable)


def _digest(total: Any) -> str:
    return f"{int(total or 0) & ((1 << 64) - 1):016x}"


async def table_prints(conn: psycopg.AsyncConnection, name: str, column_sets: list[tuple[str, ...] | None],
                       how: Hasher) -> list[TablePrint]:
    """Fingerprints of one table over several column sets (None: the whole row), in ONE scan."""
    schema, table = _split(name)
    sums = sql.SQL(", ").join(sql.SQL("sum({})").format(how.expr(name, cols)) for cols in column_sets)
    query = sql.SQL("select count(*), {sums} from {table} t").format(sums=sums, table=sql.Identifier(schema, table))
    cur = await conn.execute(query)
    row = await cur.fetchone()
    assert row is not None
    return [TablePrint(row[0], _digest(row[1 + i]), cols) for i, cols in enumerate(column_sets)]


async def fingerprints(conn: psycopg.AsyncConnection, tables: Iterable[str] | None = None) -> dict[str, TablePrint]:
    """Whole-row fingerprints of `tables` (schema.table or a bare name in public), default every
    user table. Run it in a read-only transaction (wizard.catalog.read_only) or a migration's."""
    present = await user_tables(conn)
    if tables is None:
        wanted = list(present)
    else:
        wanted = []
        for t in tables:
            name = t if "." in t else f"public.{t}"
            if name not in present:
                from wizard.errors import WizardError

                raise WizardError(f"There is no table {name} in this database.",
                                  "Name it as schema.table (`fingerprint` without --table lists every one).")
            wanted.append(name)
    how = await hasher(conn, wanted)
    async with canonical_output(conn):
        return {name: (await table_prints(conn, name, [None], how))[0] for name in wanted}


async def fingerprint_report(conn: psycopg.AsyncConnection, tables: Iterable[str] | None = None) -> dict[str, Any]:
    """`fingerprint --json`: {"tables": {name: {rows, hash}}, "elapsed_s"}."""
    t0 = time.perf_counter()
    prints = await fingerprints(conn, tables)
    return {"tables": {k: v.to_data() for k, v in prints.items()}, "elapsed_s": round(time.perf_counter() - t0, 3)}
