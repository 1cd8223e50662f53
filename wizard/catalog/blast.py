"""What DROP … CASCADE really removes, read from the live catalogue before anything runs.

PostgreSQL records every dependency in pg_depend; a cascade removes whatever depends on the
dropped object (normally, automatically or internally), and the whole owner of anything that is
an internal part of something removed (a view's rewrite rule takes the view). Walking that graph
gives the same set the server will remove: views, foreign keys from surviving tables, policies
whose expressions name the table, triggers, owned sequences, and the table's own parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import psycopg

from wizard.catalog.objects import USER_SCHEMA, word

# Above this many estimated rows the exact count(*) is skipped: it would read the whole table.
EXACT_COUNT_LIMIT = 5_000_000

_WALK = """
with recursive gone(classid, objid, subid) as (
  select 'pg_class'::regclass::oid, %(oid)s::oid, 0
  union
  select case when d.refobjid = g.objid and d.refclassid = g.classid then d.classid else d.refclassid end,
         case when d.refobjid = g.objid and d.refclassid = g.classid then d.objid else d.refobjid end,
         case when d.refobjid = g.objid and d.refclassid = g.classid then d.objsubid else d.refobjsubid end
    from gone g join pg_depend d
      on (d.refclassid = g.classid and d.refobjid = g.objid and (g.subid = 0 or d.refobjsubid = g.subid)
          and d.deptype in ('n', 'a', 'i'))
      or (d.classid = g.classid and d.objid = g.objid and d.deptype = 'i')
)
select i.type, i.identity, i.schema, g.classid::regclass::text, g.objid, g.subid,
       case g.classid
         when 'pg_constraint'::regclass then (select conrelid from pg_constraint where oid = g.objid)
         when 'pg_policy'::regclass then (select polrelid from pg_policy where oid = g.objid)
         when 'pg_trigger'::regclass then (select tgrelid from pg_trigger where oid = g.objid)
         when 'pg_class'::regclass then (select coalesce(nullif(indrelid, 0), g.objid) from pg_index where indexrelid = g.objid)
       end as on_rel
  from gone g, lateral pg_identify_object(g.classid, g.objid, g.subid) i
 where not (g.classid = 'pg_class'::regclass and g.objid = %(oid)s and g.subid = 0)
   -- a foreign key's own triggers are part of the constraint, which is listed
   and not (g.classid = 'pg_trigger'::regclass and (select tgisinternal from pg_trigger where oid = g.objid))
"""

# Parts of a table that only matter as the table: its row type, TOAST table, defaults.
_NOISE = {"type", "toast table", "default value", "index (toast)", "rule"}


@dataclass
class Dependent:
    type: str
    name: str  # schema-qualified identity, as pg_identify_object gives it
    table: str | None  # the table it is on (a constraint's, policy's, trigger's, index's)
    beyond: bool  # on something that survives: the cascade reaches past the dropped tables
    via: str  # the dropped table that takes it

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Drop:
    table: str  # schema-qualified
    written: str  # as the file names it
    cascade: bool
    exists: bool
    rows: int | None = None
    rows_estimated: bool = False
    bytes: int | None = None
    dependents: list[Dependent] = field(default_factory=list)
    # Functions whose bodies name the table: PostgreSQL does not track these, so they stay and
    # fail when next called.
    breaks: list[str] = field(default_factory=list)
    rebuilt: bool = False  # the file creates a table of this name again
    note: str = ""

    def to_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "dependents"}
        data["dependents"] = [d.to_data() for d in self.dependents]
        return data


async def _rel_name(conn: psycopg.AsyncConnection, oid: int) -> str:
    cur = await conn.execute("select format('%%I.%%I', n.nspname, c.relname) from pg_class c "
                             "join pg_namespace n on n.oid = c.relnamespace where c.oid = %s", (oid,))
    return (await cur.fetchone())[0]  # type: ignore[index]


async def _size(conn: psycopg.AsyncConnection, oid: int, drop: Drop) -> None:
    from psycopg import sql

    cur = await conn.execute("select c.reltuples::bigint, pg_total_relation_size(c.oid), n.nspname, c.relname "
                             "from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = %s", (oid,))
    estimate, drop.bytes, schema, name = await cur.fetchone()  # type: ignore[misc]
    if estimate > EXACT_COUNT_LIMIT:
        drop.rows, drop.rows_estimated = estimate, True
        drop.note = f"about {estimate:,} rows (the planner's estimate: counting would read the whole table)"
        return
    cur = await conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name)))
    drop.rows = (await cur.fetchone())[0]  # type: ignore[index]


_BODIES = f"""
select p.oid::regprocedure::text
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where {USER_SCHEMA} and p.prokind in ('f', 'p') and p.prolang not in (select oid from pg_language where lanname in ('c', 'internal'))
   and p.prosrc ~* ('\\m' || %s || '\\M')
 order by 1
"""


async def blast_radius(conn: psycopg.AsyncConnection, drops: Iterable[tuple[str, bool]]) -> list[Drop]:
    """For each (table as written, cascade?) in file order: the table schema-qualified, its rows and
    size, and every object the drop removes with it. Run it in a read-only transaction."""
    out: list[Drop] = []
    resolved: list[tuple[Drop, int]] = []
    for written, cascade in drops:
        cur = await conn.execute("select to_regclass(%s)::oid", (written,))
        oid = (await cur.fetchone())[0]  # type: ignore[index]
        if oid is None:
            out.append(Drop(written, written, cascade, False, note="not in the database: the drop does nothing"))
            continue
        drop = Drop(await _rel_name(conn, oid), written, cascade, True)
        out.append(drop)
        resolved.append((drop, oid))
    dropped = {oid for _, oid in resolved}
    seen: set[tuple[str, str]] = set()
    for drop, oid in resolved:
        await _size(conn, oid, drop)
        cur = await conn.execute(_WALK, {"oid": oid})
        for pg_type, identity, _schema, _cls, objid, _sub, on_rel in await cur.fetchall():
            kind = word(pg_type)
            if kind in _NOISE or (kind, identity) in seen:
                continue
            seen.add((kind, identity))
            if _schema and _schema.startswith("pg_toast"):
                continue
            if kind in ("view", "materialized view"):
                table, beyond = None, True  # a separate object that only existed over the table
            elif kind == "sequence":
                table, beyond = drop.table, False  # owned by the table's column: goes with it
            elif kind == "column":  # a column of a surviving table whose type or default goes
                table, beyond = identity.rsplit(".", 1)[0], True
            else:
                table = await _rel_name(conn, on_rel) if on_rel is not None else None
                beyond = on_rel is not None and on_rel not in dropped
            drop.dependents.append(Dependent(kind, identity, table, beyond, drop.table))
        cur = await conn.execute(_BODIES, (drop.table.rsplit(".", 1)[-1].strip('"'),))
        drop.breaks = [r[0] for r in await cur.fetchall()]
        if drop.dependents and not cascade:
            drop.note = ("without CASCADE the drop fails while these depend on it"
                         if any(d.beyond for d in drop.dependents) else drop.note)
    return out
