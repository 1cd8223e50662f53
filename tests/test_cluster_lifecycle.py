"""A sandbox cluster whose socket file was taken from under it (a /tmp cleaner, or the server of a
removed data dir at the same path) is stopped and started again, not reported as "not running"
while its postmaster still holds the data dir."""

from __future__ import annotations

import psycopg

from wizard.rehearsal import clusters


def test_a_server_without_its_socket_is_restarted_and_can_be_stopped(tmp_path, monkeypatch):
    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(tmp_path / "data"))
    name = "sandbox-staging"
    try:
        clusters.start(name)
        assert clusters.is_running(name)
        (clusters.socket_dir(name) / ".s.PGSQL.5432").unlink()
        assert not clusters.is_running(name)  # alive, but nobody can reach it

        clusters.start(name)  # restarted, reachable again
        with psycopg.connect(**{**clusters.conninfo(name), "dbname": "postgres"}, connect_timeout=5) as conn:
            assert conn.execute("select 1").fetchone() == (1,)

        (clusters.socket_dir(name) / ".s.PGSQL.5432").unlink()
        assert clusters.stop(name)  # stopped by its pid, socket or not
        assert not clusters._postmaster_alive(name)
    finally:
        if clusters._postmaster_alive(name):
            clusters.stop(name)
