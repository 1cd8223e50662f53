"""The headless CLI as an operator uses it: real clusters in a data dir of its own, real exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("clidata")
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(data),
           "MIGRATION_WIZARD_CONFIG": str(tmp_path_factory.mktemp("cliconfig")), "NO_COLOR": "1", "COLUMNS": "120"}
    yield env
    for name in ("sandbox-staging", "sandbox-production"):
        subprocess.run([sys.executable, "-m", "wizard.cli", "sandbox", "stop", name], env=env, capture_output=True)


def wizard(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard.cli", *args], env=env, capture_output=True, text=True, timeout=timeout)


def backup_answers(tmp_path: Path) -> Path:
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    path = tmp_path / "answers.toml"
    path.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n"1.4.backup" = "{now}"\n"1.5.separate_project" = "sandbox-staging"\n')
    return path


def test_monday_then_tuesday_twice(cli_env, tmp_path):
    answers = backup_answers(tmp_path)
    monday = wizard(cli_env, "run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--answers", str(answers))
    assert monday.returncode == 0, monday.stdout + monday.stderr
    assert "52" in monday.stdout
    for attempt in (1, 2):
        tuesday = wizard(cli_env, "run", "--headless", "--env", "sandbox-staging", "--day", "tuesday")
        assert tuesday.returncode == 0, f"attempt {attempt}\n" + tuesday.stdout + tuesday.stderr
    url = wizard(cli_env, "sandbox", "url", "sandbox-staging").stdout.strip()
    psql = shutil.which("psql") or str(Path(__import__("wizard.rehearsal.clusters", fromlist=["x"]).bin_dir()) / "psql")
    count = subprocess.run([psql, url, "-tAc", "select count(*) from information_schema.tables "
                            "where table_schema='public' and table_type='BASE TABLE'"], capture_output=True, text=True)
    assert count.stdout.strip() == "43", count.stderr
    status = json.loads(wizard(cli_env, "status", "--json").stdout)
    assert status["integrity"] == "intact"
    assert {"m012_apply", "baseline"} <= set(status["facts"])
    assert status["journal"].endswith("rehearsal.jsonl")


def test_usage_errors_exit_2_without_traceback(cli_env, tmp_path):
    cases = [
        ("run", "--headless", "--env", "sandbox-staging", "--day", "someday"),
        ("run", "--headless", "--env", "nowhere", "--day", "monday"),
        ("run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--task", "9.9"),
        ("run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--answers", str(tmp_path / "missing.toml")),
        ("runbook", "check", str(tmp_path / "nope.toml")),
        ("run", "--headless", "--env", "sandbox-production", "--day", "tuesday"),
    ]
    for args in cases:
        done = wizard(cli_env, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.strip(), args


def test_malformed_answers_file(cli_env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[answers\n"1.4.backup" = ')
    done = wizard(cli_env, "run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--answers", str(bad))
    assert done.returncode == 2 and "not valid TOML" in done.stderr


def test_missing_answer_exits_2_and_says_which(cli_env, tmp_path):
    done = wizard(cli_env, "run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--task", "1.4",
                  "--journal", str(tmp_path / "j.jsonl"))
    assert done.returncode == 2
    assert "1.4.backup" in done.stdout


def test_sandbox_status_of_a_cluster_not_created(cli_env, tmp_path):
    env = {**cli_env, "MIGRATION_WIZARD_DATA": str(tmp_path / "elsewhere")}
    done = wizard(env, "sandbox", "status", "sandbox-staging")
    assert done.returncode == 0 and "not created yet" in done.stdout


def test_status_without_a_journal(cli_env, tmp_path):
    done = wizard(cli_env, "status", "--journal", str(tmp_path / "none.jsonl"))
    assert done.returncode == 0 and "not started yet" in done.stdout


def test_review_of_a_markdown_file_says_it_is_not_a_journal(tmp_path, capsys):
    from wizard.cli import main

    notes = tmp_path / "NOTES.md"
    notes.write_text("# Week 1\n\nSome notes.\n")
    assert main(["review", str(notes)]) == 2
    out = capsys.readouterr()
    said = " ".join((out.out + out.err).split())  # the console wraps long lines
    assert "is not a journal" in said and "HASH CHAIN" not in said


def test_012_is_refused_on_the_sandbox_until_011_has_passed_there(cli_env, tmp_path):
    """Issue 12: a migration step waits for the earlier migrations of the runbook on the same
    environment: 012 before 011 is refused (exit 2), naming 011 and what to do; nothing runs."""
    journal = str(tmp_path / "order.jsonl")
    staging = wizard(cli_env, "run", "--headless", "--env", "sandbox-staging", "--day", "tuesday", "--task", "2.4",
                     "--journal", journal)
    out = " ".join((staging.stdout + staging.stderr).split())
    assert staging.returncode == 2, out
    assert ("Refused: step 2.4.apply_012 (Apply 012_remove_unused_features.sql to staging) comes after 2.2.apply_011 "
            "(011_fix_migration_conflicts.sql) in the runbook, and 2.2.apply_011 has not passed on sandbox-staging") in out
    assert "Apply 011_fix_migration_conflicts.sql first: run step 2.2.apply_011 (task 2.2, Tuesday) on sandbox-staging" in out
    production = wizard(cli_env, "run", "--headless", "--env", "sandbox-production", "--day", "thursday", "--task", "4.5",
                        "--journal", journal, "--confirm-production", "sandbox-production")
    out = " ".join((production.stdout + production.stderr).split())
    assert production.returncode == 2, out
    assert "comes after 4.4.apply_011" in out and "has not passed on sandbox-production" in out and "Traceback" not in out
    events = [json.loads(line) for line in Path(journal).read_text().splitlines()]
    assert not [e for e in events if e["type"] == "step_started" and e.get("kind") == "migration"]
