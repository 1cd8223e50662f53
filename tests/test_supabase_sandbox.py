"""`sandbox reset NAME --empty`: a blank Supabase project on Debian's PostgreSQL 15, on which a
real-looking Supabase application's migrations apply unmodified and behave as on Supabase."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from wizard.rehearsal import clusters

MIGRATIONS = Path(__file__).parent / "data" / "supabase_app" / "migrations"
needs_pg15 = pytest.mark.skipif(not (clusters.DEBIAN_15_BIN / "postgres").exists(),
                                reason=f"Debian's PostgreSQL 15 is not installed ({clusters.DEBIAN_15_BIN}); "
                                       "apt-get install postgresql-15")


def cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard.cli", *argv], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def empty_sandbox(tmp_path):
    """sandbox-staging reset --empty in a data dir of its own (the session's clusters are untouched)."""
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path / "data"), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "cfg"),
           "NO_COLOR": "1", "COLUMNS": "200"}
    done = cli(env, "sandbox", "reset", "sandbox-staging", "--empty")
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        yield env, cli(env, "sandbox", "url", "sandbox-staging").stdout.strip()
    finally:
        cli(env, "sandbox", "stop", "sandbox-staging")


def as_user(conn: psycopg.Connection, role: str, claims: dict) -> None:
    """What PostgREST does per request: the role, and the JWT's claims in request.jwt.claims."""
    conn.execute(f"set local role {role}")
    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))


@needs_pg15
def test_a_blank_supabase_project_then_an_app_applies_unmodified(empty_sandbox):
    env, url = empty_sandbox
    status = cli(env, "sandbox", "status", "sandbox-staging").stdout
    assert "0 tables in public" in " ".join(status.split()) and "debian-15" in status
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("show server_version_num").fetchone()[0].startswith("15")
        roles = {r[0] for r in conn.execute("select rolname from pg_roles")}
        assert {"anon", "authenticated", "service_role", "authenticator", "supabase_auth_admin",
                "supabase_storage_admin", "dashboard_user"} <= roles
        installed = dict(conn.execute("select extname, extnamespace::regnamespace::text from pg_extension").fetchall())
        assert installed["pgcrypto"] == installed["uuid-ossp"] == installed["pg_stat_statements"] == "extensions"
        assert conn.execute("select count(*) from pg_stat_statements").fetchone()[0] > 0  # preloaded, as on Supabase

        for path in sorted(MIGRATIONS.glob("*.sql")):  # each file in one transaction, as `supabase db push`
            with conn.transaction():
                conn.execute(path.read_text())

        tables = {r[0] for r in conn.execute("select table_name from information_schema.tables where table_schema = 'public'")}
        assert tables == {"profiles", "teams", "team_members", "notes", "note_embeddings"}
        assert installed.get("vector") is None and conn.execute(  # available, and now created by the app's migration
            "select extnamespace::regnamespace::text from pg_extension where extname = 'vector'").fetchone()[0] == "extensions"
        alice, bob = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
        conn.execute("insert into auth.users (id, email, raw_user_meta_data) values (%s, 'alice@example.com', '{\"full_name\": \"Alice\"}'),"
                     " (%s, 'bob@example.com', '{}')", (alice, bob))
        # the trigger on auth.users made the profiles
        assert conn.execute("select full_name from profiles where id = %s", (alice,)).fetchone()[0] == "Alice"
        team = conn.execute("insert into teams (name) values ('a-team') returning id, length(invite_code)").fetchone()
        assert team[1] == 24  # gen_random_bytes(12), hex
        conn.execute("insert into team_members (team_id, user_id) values (%s, %s)", (team[0], alice))

        with conn.transaction():
            as_user(conn, "authenticated", {"sub": alice, "role": "authenticated", "email": "alice@example.com"})
            assert conn.execute("select auth.uid()::text, auth.role(), auth.email()").fetchone() == (alice, "authenticated", "alice@example.com")
            conn.execute("insert into notes (team_id, body) values (%s, 'hello')", (team[0],))  # author_id defaults to auth.uid()
            assert conn.execute("select count(*) from notes").fetchone()[0] == 1
            conn.execute("insert into storage.objects (bucket_id, name, owner) values ('avatars', %s, %s)", (f"{alice}/me.png", alice))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # not her folder: the storage policy refuses
                with conn.transaction():
                    conn.execute("insert into storage.objects (bucket_id, name) values ('avatars', %s)", (f"{bob}/x.png",))
        conn.execute("insert into note_embeddings select id, '[1,0,0]' from notes")
        assert conn.execute("select round(similarity::numeric, 3) from match_notes('[1,0,0]')").fetchone()[0] == 1
        with conn.transaction():
            as_user(conn, "authenticated", {"sub": bob, "role": "authenticated"})
            assert conn.execute("select count(*) from notes").fetchone()[0] == 0  # not a member
            assert conn.execute("select count(*) from storage.objects").fetchone()[0] == 1  # public bucket
        with conn.transaction():
            as_user(conn, "authenticated", {"sub": bob, "role": "authenticated", "app_metadata": {"role": "admin"}})
            assert conn.execute("select count(*) from notes").fetchone()[0] == 1  # auth.jwt() claim
        with conn.transaction():
            conn.execute("set local role anon")  # no JWT at all: auth.uid() is NULL, nothing private shows
            assert conn.execute("select auth.uid(), count(*) from notes").fetchone() == (None, 0)


@needs_pg15
def test_the_build_is_recorded_and_a_plain_reset_returns_to_pgserver(empty_sandbox):
    env, _ = empty_sandbox
    cli(env, "sandbox", "stop", "sandbox-staging")
    started = cli(env, "sandbox", "start", "sandbox-staging")  # start reads the recorded build
    assert started.returncode == 0, started.stderr
    assert "debian-15" in cli(env, "sandbox", "status", "sandbox-staging").stdout
    plain = cli(env, "sandbox", "reset", "sandbox-staging")
    assert plain.returncode == 0, plain.stderr
    status = " ".join(cli(env, "sandbox", "status", "sandbox-staging").stdout.split())
    assert "52 tables in public" in status and "pre-clean-up on pgserver" in status


def test_empty_without_debian_postgres_says_what_to_install(tmp_path, monkeypatch, capsys):
    from wizard.cli import main

    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(clusters, "DEBIAN_15_BIN", tmp_path / "no-such-postgres" / "bin")
    assert main(["sandbox", "reset", "sandbox-staging", "--empty"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "install postgresql-15: apt-get install postgresql-15" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "clusters" / "sandbox-staging").exists()  # refused before anything was built


def test_empty_goes_only_with_reset(tmp_path, monkeypatch, capsys):
    from wizard.cli import main

    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(tmp_path / "data"))
    assert main(["sandbox", "start", "sandbox-staging", "--empty"]) == 2
    assert "--empty only goes with `sandbox reset`" in capsys.readouterr().err


def test_a_missing_vector_build_is_named(tmp_path, monkeypatch):
    """Where pgvector was not built for Debian's 15 (scripts/install-pgvector.sh), the wizard says so."""
    monkeypatch.setattr(clusters, "DEBIAN_15_BIN", tmp_path / "usr" / "lib" / "postgresql" / "15" / "bin")
    assert clusters.debian_missing_extensions() == ["vector"]
    control = tmp_path / "usr" / "share" / "postgresql" / "15" / "extension" / "vector.control"
    control.parent.mkdir(parents=True)
    control.write_text("")
    assert clusters.debian_missing_extensions() == []
