"""The shipped week1.toml's application checks, run by the engine and the headless CLI on the
sandbox: Wednesday end to end, and /health with the database stopped getting the runbook's advice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


from wizard.session import AnswersDialogue
from wizard.engine import Engine
from wizard.journal import Journal
from wizard.runbook.loader import load_runbook


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_health_with_the_database_stopped_gets_the_runbooks_advice(data_dir: Path, tmp_path: Path):
    import asyncio

    from wizard.rehearsal import clusters as sandbox
    from wizard.environments import sandbox_environment

    sandbox.ensure("sandbox-staging")
    sandbox.ensure_workspace()
    env = sandbox_environment("sandbox-staging")
    engine = Engine(load_runbook(), env, Journal(tmp_path / "journal.jsonl"), ask=AnswersDialogue({}).ask)
    sandbox.stop("sandbox-staging")
    try:
        outcome = asyncio.run(engine.run_day("wednesday", ["3.2", "3.3"]))
    finally:
        sandbox.start("sandbox-staging")
    started, health = outcome.results
    assert started.ok, started.error  # uvicorn itself starts; the database is the backend's business
    assert outcome.stopped_at == "3.3.health" and health.status == "error"
    assert "503" in health.error and "connection refused" in health.error
    assert health.data["json"]["status"] == "unhealthy" and health.data["json"]["redis"] == "connected"
    assert any("status page" in item["advice"] for item in health.advice), health.advice
    assert _gone(started.data["pid"]), "the backend outlived the day"


def test_wednesday_headless_end_to_end(tmp_path: Path):
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path / "data"), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "config"),
           "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("MIGRATION_WIZARD_API_TOKEN", None)
    answers = tmp_path / "answers.toml"
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    answers.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n"1.4.backup" = "{now}"\n'
                       '"1.5.separate_project" = "sandbox-staging"\n')

    def wizard(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "wizard.cli", *args], env=env, capture_output=True, text=True, timeout=300)

    try:
        monday = wizard("run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--answers", str(answers))
        assert monday.returncode == 0, monday.stdout + monday.stderr
        wednesday = wizard("run", "--headless", "--env", "sandbox-staging", "--day", "wednesday")
        assert wednesday.returncode == 0, wednesday.stdout + wednesday.stderr
        assert "Wednesday passed on sandbox-staging" in wednesday.stdout
        journal = (tmp_path / "data" / "journals" / "rehearsal.jsonl").read_text()
        results = {}
        for line in journal.splitlines():
            event = json.loads(line)
            if event.get("type") == "step_finished" or event.get("kind") == "step_finished":
                results[event.get("step")] = event.get("result", {})
        started = results["3.2.start_backend"]["data"]
        assert results["3.3.health"]["data"]["json"] == {"status": "healthy", "database": "connected", "redis": "connected"}
        assert results["3.4.create_move"]["data"]["status"] == 201
        assert results["3.5.list_campaigns"]["data"]["status"] == 200
        assert results["3.6.list_cohorts"]["data"]["status"] == 200
        assert results["3.7.full_suite"]["data"]["new_failures"] == []
        assert _gone(started["pid"]), "the backend outlived the day"
        assert "eyJ" not in journal and "Bearer ey" not in journal  # no token was journaled
    finally:
        wizard("sandbox", "stop", "sandbox-staging")
