"""The shipped SQL, tested for real: sandbox schema + seed, migrations 011/012, verification files.

The session's sandbox-staging cluster (tests/conftest.py): its `pristine` database is schema.sql and
seed.sql loaded exactly as the sandbox loads them; every scenario that changes data runs in its own
copy (CREATE DATABASE ... TEMPLATE pristine). Migrations are applied
the way the wizard applies them: the whole file in ONE transaction, with lock and statement
timeouts, through psycopg's simple query protocol.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SQL = ROOT / "sql"
SCHEMA = SQL / "sandbox" / "schema.sql"
SEED = SQL / "sandbox" / "seed.sql"
M011 = SQL / "migrations" / "011_fix_migration_conflicts.sql"
M012 = SQL / "migrations" / "012_remove_unused_features.sql"
VERIFICATION = SQL / "VERIFICATION_QUERIES.sql"
FINAL = SQL / "FINAL_VERIFICATION.sql"

PRISTINE = "pristine"  # the untouched copy conftest keeps on each cluster
CORE_COUNTS = {"moves": 15, "cohorts": 8, "campaigns": 5, "assets": 42}
REMOVED = [  # in the order of the runbook's DROP statements
    "quest_milestones", "quest_moves", "quests",
    "maneuver_prerequisites", "capability_nodes",
    "notifications", "move_decisions", "quick_wins", "cohort_relations",
]
RLS_TABLES = ["workspaces", "moves", "cohorts", "campaigns", "assets",
              "agent_recommendations", "agent_trust_scores", "competitors"]
AR_07 = ["id", "agent_id", "recommendation", "recommendation_type", "confidence", "evidence", "status", "created_at"]
AR_08 = ["id", "workspace_id", "agent_id", "recommendation_type", "confidence_score", "evidence",
         "outcome_status", "created_at"]
ATS_07 = ["id", "agent_id", "trust_score", "sample_size", "updated_at"]
COMPETITORS_07 = ["id", "workspace_id", "name", "website", "created_at"]
COMPETITORS_09 = {"positioning": "text", "strengths": "jsonb", "weaknesses": "jsonb",
                  "threat_level": "text", "last_analyzed_at": "timestamp with time zone"}
# Query names the runbook (wizard/runbook/week1.toml) reads from the verification files.
RUNBOOK_QUERY_NAMES = {"agent_recommendations_columns", "agent_trust_scores_columns", "competitors_count",
                       "table_count", "removed_tables_present", "core_row_counts", "rls_policies"}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
_QUERY_MARK = re.compile(r"^--\s*@query\s+(\S+?)\s*:\s*(.*)$")
_SECTION_MARK = re.compile(r"^--\s*@section\s+(.*)$")


def split_queries(text: str) -> list[tuple[str, str, str, str]]:
    """(section, name, description, sql) for every `-- @query name: description` marker."""
    out: list[list[str]] = []
    section = ""
    for line in text.splitlines():
        if m := _SECTION_MARK.match(line.strip()):
            section = m.group(1).strip()
        elif m := _QUERY_MARK.match(line.strip()):
            out.append([section, m.group(1), m.group(2).strip(), ""])
        elif out:
            out[-1][3] += line + "\n"
    return [(s, n, d, q.strip()) for s, n, d, q in out]


def strip_sql_noise(text: str) -> str:
    """The SQL with comments, string literals and dollar-quoted bodies blanked out."""
    token = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|(\$[A-Za-z_]*\$).*?\1", re.S)
    return token.sub(" ", text)


TRANSACTION_CONTROL = re.compile(
    r"(?:^|;)\s*(BEGIN|COMMIT|ROLLBACK|END|ABORT|START\s+TRANSACTION|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b",
    re.I)


def connect(uri: str, dbname: str, autocommit: bool = True) -> psycopg.Connection:
    conn = psycopg.connect(uri, dbname=dbname, autocommit=autocommit)
    conn.notices: list[str] = []  # type: ignore[misc]
    conn.add_notice_handler(lambda diag: conn.notices.append(f"{diag.severity}: {diag.message_primary}"))  # type: ignore[attr-defined]
    return conn


def apply_migration(conn: psycopg.Connection, path: Path) -> None:
    """As the wizard does it: one transaction, lock/statement timeouts, the whole file at once."""
    with conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '5s'")
        conn.execute("SET LOCAL statement_timeout = '60s'")
        conn.execute(path.read_text())


def scalar(conn: psycopg.Connection, query, params: tuple | None = None) -> object:
    return conn.execute(query, params).fetchone()[0]


def tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'public' and table_type = 'BASE TABLE' order by 1")]


def columns(conn: psycopg.Connection, table: str) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in conn.execute(
        "select column_name, data_type, is_nullable from information_schema.columns "
        "where table_schema = 'public' and table_name = %s order by ordinal_position", (table,))]


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: scalar(conn, sql.SQL("select count(*) from public.{}").format(sql.Identifier(t)))
            for t in tables(conn)}


def data_fingerprint(conn: psycopg.Connection) -> dict[str, str]:
    """Per table: md5 over every row's ctid and content (an UPDATE, even a no-op one, changes it)."""
    return {t: scalar(conn, sql.SQL(
        "select md5(coalesce(string_agg(x.ctid::text || ':' || x::text, '|' order by x.ctid), '')) "
        "from public.{} x").format(sql.Identifier(t))) for t in tables(conn)}


CATALOG_QUERIES = {
    "relations": "select c.relname, c.relkind, c.oid::bigint, c.relfilenode::bigint, c.relrowsecurity "
                 "from pg_class c where c.relnamespace = 'public'::regnamespace order by 1",
    "columns": "select table_name, ordinal_position, column_name, data_type, is_nullable, column_default "
               "from information_schema.columns where table_schema = 'public' order by 1, 2",
    "constraints": "select conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                   "from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2",
    "indexes": "select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2",
    "policies": "select tablename, policyname, permissive, roles::text, cmd, qual, with_check "
                "from pg_policies where schemaname = 'public' order by 1, 2",
    "grants": "select table_name, grantee, privilege_type from information_schema.role_table_grants "
              "where table_schema = 'public' order by 1, 2, 3",
    "comments": "select c.relname, obj_description(c.oid, 'pg_class') from pg_class c "
                "where c.relnamespace = 'public'::regnamespace order by 1",
}


def snapshot(conn: psycopg.Connection) -> dict[str, object]:
    snap: dict[str, object] = {k: conn.execute(q).fetchall() for k, q in CATALOG_QUERIES.items()}
    snap["data"] = data_fingerprint(conn)
    return snap


def run_queries_read_only(conn: psycopg.Connection, path: Path) -> dict[str, list[tuple]]:
    """Run every marked query of a verification file in a READ ONLY transaction; rows by name."""
    results: dict[str, list[tuple]] = {}
    for _section, name, _desc, query in split_queries(path.read_text()):
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            results[name] = conn.execute(query).fetchall()
    return results


# --------------------------------------------------------------------------------------------
# Fixtures: the session's cluster; `pristine` holds the pre-clean-up database
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def uri(clusters: dict[str, str]) -> str:
    """sandbox-staging from the session's clusters: its `pristine` database is schema.sql and
    seed.sql loaded as the wizard loads them."""
    return clusters["sandbox-staging"]


def clone(uri: str, prefix: str) -> str:
    """A copy of the pristine database (nobody may be connected to it meanwhile)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(uri, dbname="template1", autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template pristine").format(sql.Identifier(name)))
    return name


@pytest.fixture(scope="module")
def before(uri: str) -> dict[str, object]:
    """What the pristine database holds, measured once."""
    with connect(uri, PRISTINE) as conn:
        return {"tables": tables(conn), "counts": row_counts(conn),
                "ar": conn.execute("select r.id, a.workspace_id, r.agent_id, r.recommendation_type, r.confidence, "
                                   "r.evidence, r.status, r.created_at, r.recommendation "
                                   "from agent_recommendations r join agents a on a.id = r.agent_id "
                                   "order by r.id").fetchall()}


@pytest.fixture(scope="module")
def migrated(uri: str, before) -> dict[str, object]:
    """A copy with 011 then 012 applied once; then both applied again (snapshots around it)."""
    db = clone(uri, "migrated")
    with connect(uri, db) as conn:
        apply_migration(conn, M011)
        after_011 = {"tables": tables(conn), "counts": row_counts(conn)}
        conn.notices.clear()
        apply_migration(conn, M012)
        drop_notices = list(conn.notices)
        first = snapshot(conn)
        conn.notices.clear()
        apply_migration(conn, M011)
        apply_migration(conn, M012)
        second = snapshot(conn)
        rerun_notices = list(conn.notices)
    return {"db": db, "after_011": after_011, "first": first, "second": second,
            "drop_notices": drop_notices, "rerun_notices": rerun_notices}


# --------------------------------------------------------------------------------------------
# The files themselves
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [M011, M012], ids=["011", "012"])
def test_migration_file_is_plain_sql_of_the_right_size(path: Path):
    text = path.read_text()
    assert 100 <= len(text.splitlines()) <= 300
    assert not TRANSACTION_CONTROL.search(strip_sql_noise(text)), "no BEGIN/COMMIT/ROLLBACK of its own"
    assert not [line for line in text.splitlines() if line.lstrip().startswith("\\")], "no psql meta-commands"
    assert sum(1 for line in text.splitlines() if line.strip().startswith("--")) >= 30, "explained in comments"


def test_transaction_control_detector_is_not_fooled_by_do_blocks():
    assert not TRANSACTION_CONTROL.search(strip_sql_noise("DO $$ BEGIN PERFORM 1; END $$;\n-- COMMIT;\nselect 'BEGIN';"))
    assert TRANSACTION_CONTROL.search(strip_sql_noise("select 1;\nCOMMIT;"))
    assert TRANSACTION_CONTROL.search(strip_sql_noise("BEGIN;\nselect 1;"))


def test_migration_files_agree_with_the_wizards_parser():
    analysis = pytest.importorskip("wizard.analysis")
    m011, m012 = analysis.analyse_file(M011), analysis.analyse_file(M012)
    assert not m011.has_transaction_control and not m012.has_transaction_control
    assert set(m012.dropped_tables) == set(REMOVED) == set(m012.cascade_drops)
    assert m012.created_tables == [] and m011.dropped_tables == []
    assert "agent_recommendations" in m011.rebuilt_tables
    assert {"agent_trust_scores", "competitors"} <= set(m011.altered_tables)


def test_every_table_each_statement_touches_and_what_a_migration_locks():
    analysis = pytest.importorskip("wizard.analysis")
    plan = analysis.analyse_text(
        "CREATE POLICY p ON public.a USING (true);\n"
        "DROP POLICY q ON b;\n"
        "CREATE INDEX i ON c (x);\n"
        "ALTER TABLE d ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES e (id);\n"
        "WITH w AS (SELECT id FROM g) UPDATE h SET n = 1 FROM w WHERE h.id = w.id;\n"
        "DROP TABLE IF EXISTS k CASCADE;\n"
        "DO $$ BEGIN ALTER TABLE auth.m ENABLE ROW LEVEL SECURITY; END $$;\n"
        "TRUNCATE n;\n")
    assert plan.statement_tables == [["a"], ["b"], ["c"], ["d", "e"], ["h", "g"], ["k"], ["auth.m"], ["n"]]
    assert plan.exclusive_tables == ["a", "b", "d", "k", "auth.m", "n"]  # index builds and reads are not locked up front
    m012 = analysis.analyse_file(M012)
    assert m012.exclusive_tables == REMOVED == m012.touched_tables


def test_012_drops_exactly_the_nine_tables_one_statement_each_in_runbook_order():
    code = strip_sql_noise(M012.read_text())
    drops = re.findall(r"\bDROP\s+TABLE\s+IF\s+EXISTS\s+(\w+)\s+CASCADE\s*;", code, re.I)
    assert drops == REMOVED
    assert len(re.findall(r"\bDROP\b", code, re.I)) == 9
    assert not re.search(r"\b(TRUNCATE|DELETE|UPDATE|ALTER|CREATE)\b", code, re.I), "nothing else destructive"


def test_011_comments_explain_the_three_conflicts():
    comments = "\n".join(line for line in M011.read_text().splitlines() if line.strip().startswith("--"))
    for table, versions in (("agent_recommendations", "07 vs 08"), ("agent_trust_scores", "07 vs 08"),
                            ("competitors", "07 vs 09")):
        assert re.search(rf"CONFLICT \d: {table} \({versions}", comments), table


def test_seed_is_deterministic_by_construction():
    code = strip_sql_noise(SEED.read_text()).lower()
    assert "random(" not in code and "now()" not in code and "clock_timestamp" not in code


@pytest.mark.parametrize("path", [VERIFICATION, FINAL], ids=["verification", "final"])
def test_verification_file_markers(path: Path):
    queries = split_queries(path.read_text())
    names = [name for _s, name, _d, _q in queries]
    assert len(names) == len(set(names)), "names are unique"
    for section, name, desc, query in queries:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert desc and query and section, name
        assert query.rstrip().endswith(";") and query.count(";") == 1, f"{name}: one statement"
    assert RUNBOOK_QUERY_NAMES <= set(names)
    analysis = pytest.importorskip("wizard.analysis")
    assert [q.name for q in analysis.split_queries(path.read_text())] == names


def test_verification_sections_and_final_superset():
    sections = [s for s, *_ in split_queries(VERIFICATION.read_text())]
    assert [s.split(".")[0] for s in dict.fromkeys(sections)] == ["1", "2", "3", "4", "5"]
    verification = {n: q for _s, n, _d, q in split_queries(VERIFICATION.read_text())}
    final = {n: q for _s, n, _d, q in split_queries(FINAL.read_text())}
    assert all(final.get(n) == q for n, q in verification.items()), "FINAL holds every verification query"
    assert any("version()" in q and "now()" in q for q in final.values())


# --------------------------------------------------------------------------------------------
# The pre-clean-up database
# --------------------------------------------------------------------------------------------
def test_before_state(uri: str, before):
    assert len(before["tables"]) == 52
    assert set(REMOVED) <= set(before["tables"])
    assert {t: before["counts"][t] for t in CORE_COUNTS} == CORE_COUNTS
    assert before["counts"]["agent_recommendations"] == 6 and before["counts"]["agent_trust_scores"] == 4
    assert before["counts"]["competitors"] == 3 and before["counts"]["workspaces"] == 2
    assert sum(1 for t in REMOVED if before["counts"][t] > 0) >= 6, "the removed tables hold real rows"
    with connect(uri, PRISTINE) as conn:
        assert [c[0] for c in columns(conn, "agent_recommendations")] == AR_07
        assert [c[0] for c in columns(conn, "agent_trust_scores")] == ATS_07
        assert [c[0] for c in columns(conn, "competitors")] == COMPETITORS_07
        assert ("workspace_id", "uuid", "NO") in columns(conn, "agents")
        fk = conn.execute("select confrelid::regclass::text from pg_constraint "
                          "where conrelid = 'public.moves'::regclass and conname = 'moves_quest_id_fkey'").fetchall()
        assert fk == [("quests",)], "a surviving table references a table 012 drops"
        rls = dict(conn.execute("select relname, relrowsecurity from pg_class "
                                "where relnamespace = 'public'::regnamespace and relkind = 'r'").fetchall())
        assert all(rls[t] for t in RLS_TABLES)
        assert scalar(conn, "select count(*) from pg_policies where schemaname = 'public'") >= 6
        assert scalar(conn, "select count(*) from pg_policies where schemaname = 'public' and roles = '{authenticated}' "
                            "and qual like '%workspace_members%auth.uid()%'") >= 6
        roles = dict(conn.execute("select rolname, rolcanlogin from pg_roles "
                                  "where rolname in ('anon', 'authenticated', 'service_role')").fetchall())
        assert roles == {"anon": False, "authenticated": False, "service_role": False}
        assert scalar(conn, "select has_table_privilege('authenticated', 'public.moves', 'SELECT, INSERT')")
        assert scalar(conn, "select has_schema_privilege('anon', 'public', 'USAGE')")
        with conn.transaction(force_rollback=True):
            conn.execute("select set_config('request.jwt.claim.sub', %s, true), "
                         "set_config('request.jwt.claim.role', 'authenticated', true)", (str(uuid.UUID(int=7)),))
            assert conn.execute("select auth.uid(), auth.role()").fetchone() == (uuid.UUID(int=7), "authenticated")
        assert conn.execute("select auth.uid(), auth.role()").fetchone() == (None, None)


def test_rls_policies_scope_rows_to_the_callers_workspaces(uri: str):
    with connect(uri, PRISTINE) as conn, conn.transaction(force_rollback=True):
        user1 = scalar(conn, "select id from auth.users where email = 'operator1@raptorflow.test'")
        user3 = scalar(conn, "select id from auth.users where email = 'operator3@raptorflow.test'")
        conn.execute("set local role authenticated")
        seen = {}
        for user in (user1, user3):
            conn.execute("select set_config('request.jwt.claim.sub', %s, true)", (str(user),))
            seen[user] = scalar(conn, "select count(*) from moves")
        conn.execute("select set_config('request.jwt.claim.sub', '', true)")
        assert scalar(conn, "select count(*) from moves") == 0
    assert seen == {user1: 15, user3: 3}  # user 1 is in both workspaces, user 3 only in ws-2


def test_schema_conventions(uri: str):
    with connect(uri, PRISTINE) as conn:
        pks = conn.execute("""
            select c.relname, array_agg(a.attname::text order by a.attnum), max(format_type(a.atttypid, a.atttypmod)),
                   max(pg_get_expr(d.adbin, d.adrelid))
            from pg_constraint k join pg_class c on c.oid = k.conrelid
            join pg_attribute a on a.attrelid = c.oid and a.attnum = any(k.conkey)
            left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
            where k.contype = 'p' and c.relnamespace = 'public'::regnamespace
            group by c.relname""").fetchall()
        assert len(pks) == 52
        for table, cols, typ, default in pks:
            assert cols == ["id"] and typ == "uuid", table
            assert default == "gen_random_uuid()" or table == "profiles", table
        no_created_at = [t for t in tables(conn)
                         if "created_at" not in [c[0] for c in columns(conn, t)]]
        assert no_created_at == ["agent_trust_scores"]  # kept exactly in its 07 shape
        unindexed = conn.execute("""
            select k.conrelid::regclass::text, k.conname from pg_constraint k
            where k.contype = 'f' and k.connamespace = 'public'::regnamespace
              and not exists (select 1 from pg_index i where i.indrelid = k.conrelid
                              and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] = k.conkey)""").fetchall()
        assert unindexed == [], "every foreign key column leads an index"


def test_seed_loads_identically_twice(uri: str):
    """A second load into another empty database gives byte-identical rows (roles already exist)."""
    name = f"reload_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(uri, dbname="template1", autocommit=True) as admin:
        admin.execute(sql.SQL("create database {} template template0").format(sql.Identifier(name)))
    with connect(uri, name) as conn:
        conn.execute(SCHEMA.read_text())
        conn.execute(SEED.read_text())
        again = {t: scalar(conn, sql.SQL("select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) "
                                         "from public.{} x").format(sql.Identifier(t))) for t in tables(conn)}
    with connect(uri, PRISTINE) as conn:
        first = {t: scalar(conn, sql.SQL("select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) "
                                         "from public.{} x").format(sql.Identifier(t))) for t in tables(conn)}
    assert again == first


# --------------------------------------------------------------------------------------------
# Migration 011 alone
# --------------------------------------------------------------------------------------------
def test_011_resolves_the_three_conflicts_and_keeps_every_row(uri: str, before):
    db = clone(uri, "m011")
    with connect(uri, db) as conn:
        apply_migration(conn, M011)
        assert tables(conn) == before["tables"], "011 neither adds nor removes a table"
        assert row_counts(conn) == before["counts"], "no row lost or added anywhere"

        ar = columns(conn, "agent_recommendations")
        assert [c[0] for c in ar] == AR_08
        assert ("workspace_id", "uuid", "NO") in ar
        carried = conn.execute("select id, workspace_id, agent_id, recommendation_type, confidence_score, evidence, "
                               "outcome_status, created_at from agent_recommendations order by id").fetchall()
        assert len(carried) == 6
        for old, new in zip(before["ar"], carried):
            assert new[:5] == old[:5] and new[6:] == old[6:8]
            assert new[5] == {**old[5], "recommendation": old[8]}, "07 free text kept in evidence"
        fks = dict(conn.execute("select conname, confrelid::regclass::text from pg_constraint "
                                "where conrelid = 'public.agent_recommendations'::regclass and contype = 'f'").fetchall())
        assert fks == {"agent_recommendations_workspace_id_fkey": "workspaces",
                       "agent_recommendations_agent_id_fkey": "agents"}
        leftovers = conn.execute("select relname from pg_class where relname like '%\\_08%' "
                                 "union all select conname from pg_constraint where conname like '%\\_08%'").fetchall()
        assert leftovers == []
        assert scalar(conn, "select relrowsecurity from pg_class where oid = 'public.agent_recommendations'::regclass")
        assert scalar(conn, "select count(*) from pg_policies where tablename = 'agent_recommendations'") >= 1
        assert scalar(conn, "select has_table_privilege('authenticated', 'public.agent_recommendations', 'SELECT')")
        assert scalar(conn, "select count(*) from pg_indexes where tablename = 'agent_recommendations'") >= 3

        ats = columns(conn, "agent_trust_scores")
        assert [c[0] for c in ats] == ATS_07 + ["workspace_id"] and ats[-1] == ("workspace_id", "uuid", "NO")
        assert scalar(conn, "select count(*) from agent_trust_scores t join agents a on a.id = t.agent_id "
                            "where t.workspace_id = a.workspace_id") == 4, "backfilled from agents"
        assert scalar(conn, "select confrelid::regclass::text from pg_constraint "
                            "where conname = 'agent_trust_scores_workspace_id_fkey'") == "workspaces"
        assert scalar(conn, "select count(*) from pg_indexes where tablename = 'agent_trust_scores' "
                            "and indexdef like '%(workspace_id)%'") == 1

        comp = {c[0]: c[1] for c in columns(conn, "competitors")}
        assert list(comp)[:5] == COMPETITORS_07
        assert {k: comp.get(k) for k in COMPETITORS_09} == COMPETITORS_09

        # Idempotent: a second run changes nothing (catalog, oids, row versions) and warns of nothing.
        first = snapshot(conn)
        conn.notices.clear()
        apply_migration(conn, M011)
        assert snapshot(conn) == first
        assert not [n for n in conn.notices if not n.startswith("NOTICE")]


def test_011_refuses_rows_it_cannot_backfill(uri: str):
    """A trust score whose agent is gone makes 011 fail as a whole: nothing is half-done."""
    db = clone(uri, "m011bad")
    with connect(uri, db) as conn:
        conn.execute("alter table agent_trust_scores drop constraint agent_trust_scores_agent_id_fkey")
        conn.execute("update agent_trust_scores set agent_id = %s where id = md5('trust-1')::uuid", (uuid.UUID(int=1),))
        before_snap = snapshot(conn)
        with pytest.raises(psycopg.errors.RaiseException, match="no agent to take a workspace from"):
            apply_migration(conn, M011)
        assert snapshot(conn) == before_snap


# --------------------------------------------------------------------------------------------
# 011 then 012
# --------------------------------------------------------------------------------------------
def test_after_011_and_012(uri: str, before, migrated):
    assert len(migrated["after_011"]["tables"]) == 52
    with connect(uri, migrated["db"]) as conn:
        after = tables(conn)
        assert len(after) == 43
        assert set(after) == set(before["tables"]) - set(REMOVED), "CASCADE removed no other table"
        counts = row_counts(conn)
        assert {t: counts[t] for t in CORE_COUNTS} == CORE_COUNTS
        assert counts == {t: n for t, n in before["counts"].items() if t not in REMOVED}, "zero data loss"

        assert [c[0] for c in columns(conn, "agent_recommendations")] == AR_08
        assert ("workspace_id", "uuid", "NO") in columns(conn, "agent_recommendations")
        assert ("workspace_id", "uuid", "NO") in columns(conn, "agent_trust_scores")
        assert scalar(conn, "select count(*) from agent_trust_scores where workspace_id is null") == 0
        assert set(COMPETITORS_09) <= {c[0] for c in columns(conn, "competitors")}

        # The dependent constraint CASCADE removed; the column and its values stay.
        assert any("constraint moves_quest_id_fkey on table moves" in n for n in migrated["drop_notices"])
        assert scalar(conn, "select count(*) from pg_constraint where conname = 'moves_quest_id_fkey'") == 0
        assert scalar(conn, "select count(*) from moves where quest_id is not null") == 2
        assert scalar(conn, "select count(*) from pg_constraint where contype = 'f' and confrelid = 0") == 0

        assert scalar(conn, "select count(*) from pg_policies where schemaname = 'public'") >= 6
        rls = dict(conn.execute("select relname, relrowsecurity from pg_class "
                                "where relnamespace = 'public'::regnamespace and relkind = 'r'").fetchall())
        assert all(rls[t] for t in RLS_TABLES)


def test_second_run_of_011_and_012_changes_nothing(migrated):
    assert migrated["second"] == migrated["first"]
    assert not [n for n in migrated["rerun_notices"] if not n.startswith("NOTICE")], "no warnings either"


def test_012_is_atomic_under_the_wizards_wrapper(uri: str):
    """If the transaction fails after the drops, every table comes back (one transaction)."""
    db = clone(uri, "m012atomic")
    with connect(uri, db) as conn:
        before_tables = tables(conn)
        with pytest.raises(psycopg.errors.DivisionByZero):
            with conn.transaction():
                conn.execute(M012.read_text())
                conn.execute("select 1 / 0")
        assert tables(conn) == before_tables


# --------------------------------------------------------------------------------------------
# Verification files, before and after
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [VERIFICATION, FINAL], ids=["verification", "final"])
def test_verification_queries_before(uri: str, path: Path):
    with connect(uri, PRISTINE) as conn:
        r = run_queries_read_only(conn, path)
    assert r["table_count"] == [(52,)]
    assert len(r["removed_tables_present"]) == 9
    assert [row[0] for row in r["agent_recommendations_columns"]] == AR_07
    assert ("moves", "moves_quest_id_fkey", "quests") in r["foreign_keys_to_removed_tables"]
    assert dict(r["core_row_counts"]) == CORE_COUNTS


@pytest.mark.parametrize("path", [VERIFICATION, FINAL], ids=["verification", "final"])
def test_verification_queries_after(uri: str, migrated, path: Path):
    with connect(uri, migrated["db"]) as conn:
        r = run_queries_read_only(conn, path)
    assert [row[0] for row in r["agent_recommendations_columns"]] == AR_08
    assert ("workspace_id", "uuid", "NO") in r["agent_recommendations_columns"]
    assert ("workspace_id", "uuid", "NO") in r["agent_trust_scores_columns"]
    assert r["competitors_count"] == [(3,)]
    assert set(COMPETITORS_09) <= {row[0] for row in r["competitors_columns"]}
    assert r["table_count"] == [(43,)]
    assert r["removed_tables_present"] == []
    assert [row[0] for row in r["core_tables_present"]] == sorted(CORE_COUNTS)
    assert dict(r["core_row_counts"]) == CORE_COUNTS
    assert r["orphaned_rows"] and all(n == 0 for _rel, n in r["orphaned_rows"])
    assert r["foreign_keys_to_removed_tables"] == []
    assert r["unvalidated_foreign_keys"] == []
    assert len(r["rls_policies"]) >= 6
    assert set(RLS_TABLES) <= {row[0] for row in r["rls_enabled_tables"]}
    assert r["core_tables_without_rls"] == []
    if path == FINAL:
        assert r["server"][0][1].startswith("PostgreSQL 16")
