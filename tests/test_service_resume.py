"""Wednesday killed (SIGKILL) right after its backend started: the same command resumes and
passes, starting the backend again, and the killed run's backend does not outlive it."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def test_wednesday_killed_after_starting_the_backend_resumes(tmp_path: Path):
    data = tmp_path / "data"
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(data), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "config"),
           "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("MIGRATION_WIZARD_API_TOKEN", None)
    journal = tmp_path / "week.jsonl"
    answers = tmp_path / "answers.toml"
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    answers.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n"1.4.backup" = "{now}"\n'
                       '"1.5.separate_project" = "sandbox-staging"\n')
    base = [sys.executable, "-m", "wizard.cli", "run", "--headless", "--env", "sandbox-staging", "--journal", str(journal)]
    wednesday = base + ["--day", "wednesday"]
    try:
        monday = subprocess.run(base + ["--day", "monday", "--answers", str(answers)], env=env, capture_output=True,
                                text=True, timeout=300)
        assert monday.returncode == 0, monday.stdout + monday.stderr
        proc = subprocess.Popen(wednesday, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not any(e["type"] == "step_finished" and e["step"] == "3.2.start_backend" for e in _events(journal)):
                assert time.monotonic() < deadline, "the backend never started"
                assert proc.poll() is None, "the wizard exited before the backend started"
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        started = next(e for e in _events(journal) if e["type"] == "step_finished" and e["step"] == "3.2.start_backend")
        old_pid = started["result"]["data"]["pid"]
        assert started["result"]["status"] == "passed"
        assert _group_members(old_pid), "the killed run's backend should still be running here (nothing stopped it yet)"

        rerun = subprocess.run(wednesday, env=env, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "Wednesday passed" in rerun.stdout
        assert not _group_members(old_pid), "the killed run's backend (or something in its group) is still running"
        events = _events(journal)
        notes = [e.get("text", "") for e in events if e["type"] == "note"]
        assert any(f"pid {old_pid}" in text and "left by a killed run" in text for text in notes), notes
        assert any("3.2.start_backend is run again" in text for text in notes), notes
        starts = [e for e in events if e["type"] == "step_finished" and e["step"] == "3.2.start_backend"]
        assert len(starts) == 2 and not _group_members(starts[-1]["result"]["data"]["pid"])
        assert not list((data / "run").glob("*/*.json")), "a pid file outlived its service"
    finally:
        subprocess.run([sys.executable, "-m", "wizard.cli", "sandbox", "stop"], env=env, capture_output=True, timeout=120)


def test_a_pid_file_is_trusted_only_for_the_very_process_it_names(tmp_path: Path, monkeypatch):
    from wizard.appcheck import pidfiles

    monkeypatch.setenv("MIGRATION_WIZARD_DATA", str(tmp_path / "data"))
    sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        dead_wizard = subprocess.Popen(["true"])
        dead_wizard.wait()
        target = pidfiles.record("sandbox-staging", "backend", sleeper.pid, ["python", "-m", "uvicorn"], 8000)
        body = json.loads(target.read_text())
        assert oct(target.stat().st_mode & 0o777) == "0o600"
        target.write_text(json.dumps({**body, "wizard_pid": dead_wizard.pid}))
        [left] = pidfiles.stop_leftovers("sandbox-staging")
        assert "pid reused by another program: not signalled" in left.how and sleeper.poll() is None
        assert not target.exists()
        pidfiles.record("sandbox-staging", "backend", sleeper.pid, ["sleep", "60"], 8000)
        assert pidfiles.stop_leftovers("sandbox-staging") == [], "a live wizard's service was stopped"
        target.write_text(json.dumps({**json.loads(target.read_text()), "wizard_pid": dead_wizard.pid}))
        [left] = pidfiles.stop_leftovers("sandbox-staging")
        assert left.how == "stopped (SIGTERM)" and sleeper.wait(5) == -signal.SIGTERM
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
