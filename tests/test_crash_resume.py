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

from wizard.rehearsal import clusters as sandbox

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


def test_replay_reopens_a_resumed_pass():
    """A pass that stopped on a failure and is resumed is open again: its new passes count, and
    its second day_finished closes it."""
    from wizard.results import StepResult
    from wizard.journal import replay

    def ev(kind, **fields):
        return {"type": kind, "ts": f"2026-11-25T10:00:{len(events):02d}+00:00", "env": "sandbox-staging", **fields}

    def step(step_id, status):
        return StepResult(step_id, "query", status, started_at="2026-11-25T10:00:00+00:00", duration_s=1.0).to_dict()

    events: list[dict] = []
    events.append(ev("day_started", day="monday", pass_id=1))
    events.append(ev("step_finished", task="1.1", result=step("1.1.a", "passed")))
    events.append(ev("step_finished", task="1.2", result=step("1.2.a", "failed")))
    events.append(ev("day_finished", day="monday", pass_id=1, ok=False))
    stopped = replay(events).passes[0]
    assert (stopped.finished, stopped.ok) == (True, False)
    events.append(ev("day_resumed", day="monday", pass_id=1, already_passed=["1.1.a"]))
    resumed = replay(events).passes[0]
    assert (resumed.finished, resumed.ok) == (False, None)
    events.append(ev("step_finished", task="1.2", result=step("1.2.a", "passed")))
    assert replay(events).passes[0].passed_steps == {"1.1.a", "1.2.a"}
    events.append(ev("day_finished", day="monday", pass_id=1, ok=True))
    done = replay(events)
    assert len(done.passes) == 1 and (done.passes[0].finished, done.passes[0].ok) == (True, True)
