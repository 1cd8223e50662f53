"""SIGKILL during a migration leaves no half-applied schema, and the next run resumes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from wizard import sandbox

DATA = Path(__file__).parent / "data"


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def _schema_exists() -> bool:
    with psycopg.connect(**sandbox.conninfo("sandbox-staging")) as conn:
        return bool(conn.execute("select 1 from pg_namespace where nspname = 'kill_test'").fetchone())


def test_kill_during_migration_then_resume(clusters, tmp_path: Path):
    workspace = sandbox.workspace_dir()
    shutil.copy(DATA / "slow_migration.sql", workspace / "slow_migration.sql")
    journal = tmp_path / "journal.jsonl"
    argv = [sys.executable, "-m", "wizard.cli", "run", "--headless", "--env", "sandbox-staging", "--day", "monday",
            "--runbook", str(DATA / "kill_runbook.toml"), "--journal", str(journal)]
    env = {**os.environ, "PGOPTIONS": "-c wizard.slow=on"}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not any(e["type"] == "sql" and e["step"] == "1.1.apply" for e in _events(journal)):
            assert time.monotonic() < deadline, "the migration never started"
            assert proc.poll() is None, "the wizard exited before the migration ran"
            time.sleep(0.05)
        time.sleep(0.5)  # inside the open transaction, sleeping
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    # The server notices the dead client (client_connection_check_interval) and rolls back.
    deadline = time.monotonic() + 10
    while _schema_exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _schema_exists(), "a half-applied migration is visible after the kill"

    rerun = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    events = _events(journal)
    types = [e["type"] for e in events]
    assert "day_resumed" in types and "step_interrupted" in types
    started = [e["step"] for e in events if e["type"] == "step_started"]
    assert started.count("1.1.before") == 1, "a step that had passed was run again"
    assert started.count("1.1.apply") == 2
    assert _schema_exists()
    with psycopg.connect(**sandbox.conninfo("sandbox-staging"), autocommit=True) as conn:
        conn.execute("drop schema kill_test cascade")
