"""What a migration really did, proved inside its own transaction: the catalogue difference, each
statement's time, and that every table meant to survive kept its rows (zero data loss).

Before the file runs: the catalogue and a fingerprint of every user table (wizard.fingerprint),
over the columns the file does not mean to change (parsed: UPDATE targets, ALTER COLUMN TYPE,
DROP/RENAME COLUMN); the tables the step locks up front are fingerprinted once it holds them, the
rest before it takes its locks, so nobody waits on those locks while the database is hashed. The
file then runs statement by statement, each timed. After it: the catalogue again, and the tables
are fingerprinted again, except a table this transaction wrote no tuple to and did not rewrite
(pg_stat_xact_* and relfilenode say so), whose content is provably the same. A table whose rows
or fingerprint changed unexpectedly fails the step, so it rolls back.

Across migrations: the journal keeps the last applied migration's after-fingerprints for the
environment, and this migration's before-fingerprints are compared with them: rows changed
between the two (behind the wizard's back) are named too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import psycopg

from wizard import catalog
from wizard.fingerprint import Hasher, TablePrint, canonical_output, hasher, table_prints
from wizard.statements import Statement

DROPS_IT = "the file drops it"  # a not_compared reason; one the file made again is called rebuilt

_STATE = """
select format('%%I.%%I', n.nspname, c.relname), c.relfilenode,
       coalesce(pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid)
                + pg_stat_get_xact_tuples_deleted(c.oid), 0)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p') and not c.relispartition
   and format('%%I.%%I', n.nspname, c.relname) = any(%s)
"""


@dataclass
class Expected:
    """What the parsed file says it will do to the data, tables named schema.table."""

    dropped: set[str] = field(default_factory=set)
    rows_written: set[str] = field(default_factory=set)  # INSERT, DELETE, TRUNCATE: counts may change
    renamed: set[str] = field(default_factory=set)
    columns: dict[str, set[str]] = field(default_factory=dict)  # values the file changes


async def qualify(conn: psycopg.AsyncConnection, name: str) -> str:
    cur = await conn.execute("select format('%%I.%%I', n.nspname, c.relname) from pg_class c "
                             "join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass(%s)", (name,))
    row = await cur.fetchone()
    return row[0] if row else (name if "." in name else f"public.{name}")


async def qualify_all(conn: psycopg.AsyncConnection, names: Sequence[str]) -> dict[str, str]:
    """qualify() of each name, in one round trip."""
    cur = await conn.execute(
        "select u.n, format('%%I.%%I', n.nspname, c.relname) from unnest(%s::text[]) u(n) "
        "join pg_class c on c.oid = to_regclass(u.n) join pg_namespace n on n.oid = c.relnamespace", (list(names),))
    found = dict(await cur.fetchall())
    return {name: found.get(name) or (name if "." in name else f"public.{name}") for name in names}


async def expected(conn: psycopg.AsyncConnection, statements: Sequence[Statement]) -> Expected:
    named = [n for s in statements for n in
             [n for what, n, _ in s.drops if what == "table"] + s.rows_written + s.renamed + list(s.written_columns)]
    q = await qualify_all(conn, list(dict.fromkeys(named))) if named else {}
    out = Expected()
    for s in statements:
        out.dropped.update([q[n] for what, n, _ in s.drops if what == "table"])
        out.rows_written.update([q[n] for n in s.rows_written])
        out.renamed.update([q[n] for n in s.renamed])
        for table, cols in s.written_columns.items():
            out.columns.setdefault(q[table], set()).update(cols)
    return out


async def run_statements(conn: psycopg.AsyncConnection, statements: Sequence[Statement]) -> list[dict[str, Any]]:
    """Run each statement in turn (inside the caller's transaction), timing each one."""
    times = []
    for s in statements:
        t0 = time.perf_counter()
        await conn.execute(s.text)  # type: ignore[arg-type]
        times.append({"index": s.index, "line": s.line, "kind": s.kind, "seconds": round(time.perf_counter() - t0, 4)})
    return times


def _changes(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Tables in both whose rows or fingerprint differ, with how."""
    out = []
    for name in sorted(set(before) & set(after)):
        b, a = before[name], after[name]
        if b.get("scheme", 1) != a.get("scheme", 1):  # hashed another way (an older wizard): rows only
            if b["rows"] != a["rows"]:
                out.append({"table": name, "rows_before": b["rows"], "rows_after": a["rows"],
                            "what": "rows removed" if a["rows"] < b["rows"] else "rows added"})
            continue
        if b["rows"] != a["rows"] or b["hash"] != a["hash"]:
            out.append({"table": name, "rows_before": b["rows"], "rows_after": a["rows"],
                        "what": "rows removed" if a["rows"] < b["rows"] else
                                "rows added" if a["rows"] > b["rows"] else "content changed"})
    return out


@dataclass
class MigrationProof:
    statements: Sequence[Statement]
    last_after: dict[str, dict[str, Any]] = field(default_factory=dict)  # the journal's, for this env
    plan: Expected = field(default_factory=Expected)
    catalog_before: dict[tuple[str, str], str] = field(default_factory=dict)
    whole: dict[str, TablePrint] = field(default_factory=dict)  # whole-row prints before
    compare: dict[str, TablePrint] = field(default_factory=dict)  # prints over untouched columns, before
    storage: dict[str, int] = field(default_factory=dict)  # relfilenode before
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # every column before, in order
    not_compared: dict[str, str] = field(default_factory=dict)
    how: Hasher | None = None  # how rows were hashed before: after hashes them the same way
    whole_after: dict[str, TablePrint] = field(default_factory=dict)

    async def run(self, conn: psycopg.AsyncConnection) -> list[dict[str, Any]]:
        return await run_statements(conn, self.statements)

    async def before(self, conn: psycopg.AsyncConnection, defer: Sequence[str] = ()) -> None:
        """Fingerprint every user table but those in `defer` (schema.table): the ones the step is
        about to lock, fingerprinted by locked() once it holds them, so its exclusive locks are
        not held while the rest of the database is hashed."""
        self.plan = await expected(conn, self.statements)
        self.how = await hasher(conn)
        later = set(defer)
        await self._prints(conn, [n for n in self.how.names() if n not in later])

    async def locked(self, conn: psycopg.AsyncConnection) -> None:
        """Once the step holds its locks: the deferred tables' prints, the catalogue and each
        table's storage as the file will find them."""
        self.how = how = await hasher(conn, known=self.how)
        tables = how.names()
        # (a table printed before holds this transaction's ACCESS SHARE: nobody altered it since)
        await self._prints(conn, [n for n in tables if n not in self.whole])
        self.catalog_before = await catalog.snapshot(conn)
        cur = await conn.execute(_STATE, (list(tables),))
        self.storage = {name: node for name, node, _ in await cur.fetchall()}
        for name in tables:
            reason = (DROPS_IT if name in self.plan.dropped else
                      "the file renames it" if name in self.plan.renamed else
                      "the file inserts into, deletes from or truncates it" if name in self.plan.rows_written else "")
            if reason:
                self.not_compared[name] = reason

    async def _prints(self, conn: psycopg.AsyncConnection, names: Sequence[str]) -> None:
        assert self.how is not None
        cols_of = self.how.names()
        async with canonical_output(conn):
            for name in names:
                cols = cols_of[name]
                self.columns[name] = tuple(cols)
                keep = tuple(c for c in cols if c not in self.plan.columns.get(name, set()))
                sets: list[tuple[str, ...] | None] = [None] if len(keep) == len(cols) else [None, keep]
                prints = await table_prints(conn, name, sets, self.how)
                self.whole[name], self.compare[name] = prints[0], prints[-1]

    def rows_before(self) -> dict[str, int]:
        """Each table's rows when the file began (its fingerprint's count)."""
        return {name: p.rows for name, p in self.whole.items()}

    def rows_after(self) -> dict[str, int]:
        """Each table's rows once the file ran, as after() found or proved them."""
        return {name: p.rows for name, p in self.whole_after.items()}

    def since_last(self) -> list[dict[str, Any]]:
        """Tables whose rows changed since the last applied migration's after-fingerprints."""
        return _changes(self.last_after, {k: v.to_data() for k, v in self.whole.items()})

    async def after(self, conn: psycopg.AsyncConnection) -> dict[str, Any]:
        """catalog_diff, fingerprints_before/after and the data_loss verdict."""
        async with canonical_output(conn):
            return await self._after(conn)

    async def _after(self, conn: psycopg.AsyncConnection) -> dict[str, Any]:
        diff = catalog.diff(self.catalog_before, await catalog.snapshot(conn))
        how = await hasher(conn, known=self.how)
        now = how.names()
        checked = [n for n in self.whole if n not in self.not_compared]
        cur = await conn.execute(_STATE, (checked,))
        state = {name: (node, writes) for name, node, writes in await cur.fetchall()}
        after_whole: dict[str, TablePrint] = {}
        changed: list[dict[str, Any]] = []
        proved_untouched = 0
        for name in checked:
            before = self.compare[name]
            if name not in now:
                changed.append({"table": name, "rows_before": before.rows, "rows_after": 0, "what": "table gone"})
                continue
            node, writes = state.get(name, (None, None))
            if node == self.storage.get(name) and writes == 0 and tuple(now[name]) == self.columns[name]:
                # no tuple written by this transaction, the same storage and columns: content is as before
                after_whole[name] = self.whole[name]
                proved_untouched += 1
                continue
            compared = before.columns or self.columns[name]
            missing = [c for c in compared if c not in now[name]]
            if missing:
                changed.append({"table": name, "rows_before": before.rows, "rows_after": None,
                                "what": f"columns gone: {', '.join(missing)}"})
                continue
            # the row text of the columns compared before: a column added since is left out
            same = before.columns is None and tuple(now[name]) == compared
            sets: list[tuple[str, ...] | None] = [None] if same else [None, compared]
            prints = await table_prints(conn, name, sets, how)
            after_whole[name] = prints[0]
            if (prints[-1].rows, prints[-1].hash) != (before.rows, before.hash):
                changed += _changes({name: before.to_data()}, {name: prints[-1].to_data()})
        for name in now:  # tables the file created or rebuilt: their after-prints start the chain
            if name not in after_whole:
                after_whole[name] = (await table_prints(conn, name, [None], how))[0]
        for name, reason in list(self.not_compared.items()):
            if reason == DROPS_IT and name in now:  # dropped and made again under its name
                self.not_compared[name] = "the file rebuilds it (drops it and creates it again)"
        self.whole_after = after_whole
        between = self.since_last()
        verdict = {
            "ok": not changed,
            "tables_checked": len(checked),
            "proved_untouched": proved_untouched,
            "tables_changed": [c["table"] for c in changed],
            "changes": changed,
            "not_compared": dict(sorted(self.not_compared.items())),
            "excluded_columns": {k: sorted(v) for k, v in sorted(self.plan.columns.items())},
            "changed_since_last_migration": [c["table"] for c in between],
            "since_last": between,
        }
        return {
            "catalog_diff": diff,
            "fingerprints_before": {k: v.to_data() for k, v in self.whole.items()},
            "fingerprints_after": {k: v.to_data() for k, v in sorted(after_whole.items())},
            "data_loss": verdict,
        }


def failure(verdict: dict[str, Any], between: str) -> str | None:
    """The step's failure message when the verdict shows unexpected changes, else None."""
    parts = []
    if verdict["tables_changed"]:
        parts.append("rows changed unexpectedly in " + ", ".join(
            f"{c['table']} ({c['what']}: {c['rows_before']} → {c['rows_after']})" for c in verdict["changes"]))
    if between == "fail" and verdict["changed_since_last_migration"]:
        parts.append("since the previous migration on this environment, rows changed in "
                     + ", ".join(verdict["changed_since_last_migration"]))
    if not parts:
        return None
    return "Data-loss check failed: " + "; ".join(parts) + ". Everything this migration did was rolled back."
