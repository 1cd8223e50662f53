"""Every schema object outside the system schemas, named as PostgreSQL names it, and differences.

Identities come from pg_identify_object, so a catalogue difference and the blast radius of a
cascade (wizard.catalog.blast) speak of the same objects in the same words.
"""

from __future__ import annotations

from typing import Any

import psycopg

# pg_identify_object's type → the word the wizard uses
TYPE_WORDS = {"table column": "column", "view column": "column", "materialized view column": "column",
              "foreign table column": "column", "table constraint": "constraint", "domain constraint": "constraint"}

USER_SCHEMA = ("n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'")

_SNAPSHOT = f"""
with objs(classid, objid, subid, def) as (
  select 'pg_class'::regclass, c.oid, 0,
         case c.relkind when 'v' then pg_get_viewdef(c.oid) when 'm' then pg_get_viewdef(c.oid)
                        when 'i' then pg_get_indexdef(c.oid) else '' end
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'v', 'm', 'S', 'i', 'f') and {USER_SCHEMA}
  union all
  select 'pg_class'::regclass, a.attrelid, a.attnum::int,
         format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end
         || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
   where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped and {USER_SCHEMA}
  union all
  select 'pg_constraint'::regclass, o.oid, 0, pg_get_constraintdef(o.oid)
    from pg_constraint o join pg_namespace n on n.oid = o.connamespace where {USER_SCHEMA}
  union all
  select 'pg_policy'::regclass, p.oid, 0,
         concat_ws(' ', p.polcmd, p.polpermissive, p.polroles::text, pg_get_expr(p.polqual, p.polrelid),
                   pg_get_expr(p.polwithcheck, p.polrelid))
    from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
   where {USER_SCHEMA}
  union all
  select 'pg_trigger'::regclass, t.oid, 0, pg_get_triggerdef(t.oid)
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
   where not t.tgisinternal and {USER_SCHEMA}
  union all
  select 'pg_proc'::regclass, p.oid, 0, md5(coalesce(p.prosrc, '') || p.proargtypes::text || p.prorettype::text)
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where {USER_SCHEMA}
)
select i.type, i.identity, o.def
  from objs o, lateral pg_identify_object(o.classid, o.objid, o.subid) i
"""


def word(pg_type: str) -> str:
    return TYPE_WORDS.get(pg_type, pg_type)


async def snapshot(conn: psycopg.AsyncConnection) -> dict[tuple[str, str], str]:
    """(type, identity) → definition, for every object in every non-system schema."""
    cur = await conn.execute(_SNAPSHOT)
    return {(word(t), ident): d or "" for t, ident, d in await cur.fetchall()}


def _table_of_column(identity: str) -> str:
    return identity.rsplit(".", 1)[0]


def diff(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str]) -> dict[str, Any]:
    """Objects added, removed and changed (same name, new definition), by type, sorted.

    Columns of a table added or removed with it are left out: the table says it."""
    tables = {"table", "view", "materialized view", "foreign table"}
    gone = {i for (t, i) in before if t in tables} - {i for (t, i) in after if t in tables}
    new = {i for (t, i) in after if t in tables} - {i for (t, i) in before if t in tables}

    def grouped(keys: set[tuple[str, str]], whole: set[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for t, i in sorted(keys):
            if t == "column" and _table_of_column(i) in whole:
                continue
            out.setdefault(t, []).append(i)
        return out

    removed = grouped(set(before) - set(after), gone)
    added = grouped(set(after) - set(before), new)
    changed = grouped({k for k in set(before) & set(after) if before[k] != after[k]}, set())
    count = lambda g: sum(len(v) for v in g.values())  # noqa: E731
    return {"added": added, "removed": removed, "changed": changed,
            "summary": f"{count(added)} added, {count(removed)} removed, {count(changed)} changed"}
