"""restore-table and rollback as an operator runs them: a fresh data dir, real clusters, real exit codes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

FINGERPRINT = "select count(*) || ' ' || sum(hashtextextended(t::text, 0)) from quests t"
TABLES = "select count(*) from information_schema.tables where table_schema='public' and table_type='BASE TABLE'"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path_factory.mktemp("rbdata")),
           "MIGRATION_WIZARD_CONFIG": str(tmp_path_factory.mktemp("rbconfig")), "NO_COLOR": "1", "COLUMNS": "160"}
    yield env
    for name in ("sandbox-staging", "sandbox-production"):
        subprocess.run([sys.executable, "-m", "wizard.cli", "sandbox", "stop", name], env=env, capture_output=True)


def wizard(env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def psql(env: dict, sql: str) -> str:
    from wizard.rehearsal.clusters import tool

    url = wizard(env, "sandbox", "url", "sandbox-staging").stdout.strip()
    done = subprocess.run([tool("psql"), url, "-tAc", sql], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_restore_table_and_rollback_after_tuesday(cli_env, tmp_path):
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    answers = tmp_path / "answers.toml"
    answers.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n"1.4.backup" = "{now}"\n'
                       '"1.5.separate_project" = "sandbox-staging"\n')
    staging = ("--env", "sandbox-staging")
    monday = wizard(cli_env, "run", "--headless", *staging, "--day", "monday", "--answers", str(answers))
    assert monday.returncode == 0, monday.stdout + monday.stderr
    before = psql(cli_env, FINGERPRINT)

    nothing = wizard(cli_env, "restore-table", "quests", *staging)  # nothing archived yet
    assert nothing.returncode == 2 and "No archive on sandbox-staging holds public.quests" in nothing.stderr
    assert "Traceback" not in nothing.stderr

    tuesday = wizard(cli_env, "run", "--headless", *staging, "--day", "tuesday")
    assert tuesday.returncode == 0, tuesday.stdout + tuesday.stderr
    assert psql(cli_env, TABLES) == "43"

    listed = wizard(cli_env, "rollback", *staging, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "1. Bring back the 9 tables 012_remove_unused_features.sql dropped" in listed.stdout
    assert "(by hand)" in listed.stdout  # the runbook's own options, listed after

    restored = wizard(cli_env, "restore-table", "quests", *staging)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert psql(cli_env, FINGERPRINT) == before and psql(cli_env, TABLES) == "44"
    assert "the same as when it was archived" in restored.stdout  # the step's own proof, said

    again = wizard(cli_env, "restore-table", "quests", *staging)
    assert again.returncode == 1 and "exists now" in again.stdout

    wrong = wizard(cli_env, "rollback", *staging, "--option", "99")
    assert wrong.returncode == 2 and "no rollback option 99" in wrong.stderr

    psql(cli_env, "drop table quests cascade")  # as 012 left it, then every table back at once
    undone = wizard(cli_env, "rollback", *staging, "--option", "1")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert psql(cli_env, TABLES) == "52" and psql(cli_env, FINGERPRINT) == before
    assert "foreign key put back: public.moves." in undone.stdout

    by_hand = wizard(cli_env, "rollback", *staging, "--option", "2")
    assert by_hand.returncode == 2 and "is done by hand" in by_hand.stderr


def test_a_restore_is_a_production_write():
    from wizard.guards import is_production_write
    from wizard.runbook.model import Step

    assert is_production_write(Step("rollback.restore_table", "restore", "t", "any", {"source": "x", "tables": ["q"]}))
