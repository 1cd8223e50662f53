"""The zero-data-loss check failing, as an operator at a terminal meets it: a row of `moves` is
deleted behind the wizard's back between 011 and 012, and the headless run says so in one message
(exit 1, no traceback), with what the step measured, and 012 is rolled back."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

TABLES = "select count(*) from information_schema.tables where table_schema='public' and table_type='BASE TABLE'"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path_factory.mktemp("dldata")),
           "MIGRATION_WIZARD_CONFIG": str(tmp_path_factory.mktemp("dlconfig")), "NO_COLOR": "1", "COLUMNS": "160"}
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


def test_a_row_deleted_between_011_and_012_is_named_at_the_terminal(cli_env, tmp_path):
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    answers = tmp_path / "answers.toml"
    answers.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n"1.4.backup" = "{now}"\n'
                       '"1.5.separate_project" = "sandbox-staging"\n')
    staging = ("--headless", "--env", "sandbox-staging")
    monday = wizard(cli_env, "run", *staging, "--day", "monday", "--answers", str(answers))
    assert monday.returncode == 0, monday.stdout + monday.stderr
    m011 = wizard(cli_env, "run", *staging, "--day", "tuesday", "--task", "2.2", "--confirm-drops")
    assert m011.returncode == 0, m011.stdout + m011.stderr

    psql(cli_env, "delete from moves where id = (select id from moves order by id limit 1)")
    m012 = wizard(cli_env, "run", *staging, "--day", "tuesday", "--task", "2.4", "--confirm-drops")
    out = " ".join((m012.stdout + m012.stderr).split())
    assert m012.returncode == 1 and "Traceback" not in out, out
    # the delete cascaded (ON DELETE CASCADE) into assets: both are named
    assert ("Data-loss check failed: since the previous migration on this environment, rows changed in public.assets, "
            "public.moves. Everything this migration did was rolled back.") in out
    assert "tables 52 → 43; removed: capability_nodes" in out  # what it measured before rolling back
    assert "changed since the last migration: public.assets, public.moves" in out
    assert psql(cli_env, TABLES) == "52"  # rolled back: the nine tables are still there
