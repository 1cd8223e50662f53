"""A migration takes its locks up front, together, under one short timeout: a session holding a
table it drops makes it give up (nothing changed, nobody queued behind it for long), naming that
session; the same command retries. Real clusters in a data dir of their own, the real CLI."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time

import psycopg
import pytest


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path_factory.mktemp("lockdata")),
           "MIGRATION_WIZARD_CONFIG": str(tmp_path_factory.mktemp("lockconfig")), "NO_COLOR": "1", "COLUMNS": "400"}
    yield env
    for name in ("sandbox-staging", "sandbox-production"):
        subprocess.run([sys.executable, "-m", "wizard.cli", "sandbox", "stop", name], env=env, capture_output=True)


def wizard(env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard.cli", *args], env=env, capture_output=True, text=True, timeout=300)


class Reader(threading.Thread):
    """Reads one table every 20 ms on its own connection; adds up the time it spent blocked."""

    def __init__(self, url: str, table: str) -> None:
        super().__init__(daemon=True)
        self.url, self.table = url, table
        self.stop, self.blocked_s, self.longest_s, self.reads = threading.Event(), 0.0, 0.0, 0

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True, application_name=f"reader-{self.table}") as conn:
            while not self.stop.is_set():
                t0 = time.monotonic()
                conn.execute(f"select count(*) from {self.table}").fetchone()
                took = time.monotonic() - t0
                self.reads += 1
                self.longest_s = max(self.longest_s, took)
                if took > 0.1:  # a read of a few rows takes milliseconds: longer is waiting on a lock
                    self.blocked_s += took
                time.sleep(0.02)


def table_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from information_schema.tables where table_schema = 'public' "
                            "and table_type = 'BASE TABLE'").fetchone()[0]


def test_a_held_table_makes_012_give_up_fast_and_the_same_command_retries(cli_env, tmp_path):
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    answers = tmp_path / "answers.toml"
    answers.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n"1.4.backup" = "{now}"\n'
                       '"1.5.separate_project" = "sandbox-staging"\n')
    monday = wizard(cli_env, "run", "--headless", "--env", "sandbox-staging", "--day", "monday", "--answers", str(answers))
    assert monday.returncode == 0, monday.stdout + monday.stderr
    url = wizard(cli_env, "sandbox", "url", "sandbox-staging").stdout.strip()

    holder = psycopg.connect(url, application_name="forgotten-report")
    holder.execute("select count(*) from cohort_relations").fetchone()  # ACCESS SHARE, transaction left open
    holder_pid = holder.info.backend_pid
    readers = [Reader(url, table) for table in ("moves", "cohorts", "workspaces")]
    for reader in readers:
        reader.start()
    tuesday = ("run", "--headless", "--env", "sandbox-staging", "--day", "tuesday")
    try:
        t0 = time.monotonic()
        refused = wizard(cli_env, *tuesday)
        took = time.monotonic() - t0
        out = " ".join((refused.stdout + refused.stderr).split())
        assert refused.returncode == 1, out
        assert took < 20, f"Tuesday took {took:.1f} s"  # 011 and its checks, then 2 s for 012's locks
        assert "lock wait gave up: 012_remove_unused_features.sql needs ACCESS EXCLUSIVE on" in out
        assert f"cohort_relations is held (AccessShareLock) by pid {holder_pid}" in out
        assert "application_name 'forgotten-report', idle in transaction" in out
        assert "query: select count(*) from cohort_relations" in out
        assert "Nothing was changed: 012_remove_unused_features.sql was not applied" in out
        assert "A migration could not take its locks" in out  # the runbook's troubleshooting entry
        assert "Traceback" not in out
        assert table_count(url) == 52  # 012 not applied (011 rebuilds, it does not change the count)
    finally:
        holder.rollback()
        holder.close()
        time.sleep(0.2)
        for reader in readers:
            reader.stop.set()
            reader.join()
    for reader in readers:
        assert reader.reads > 20, reader.table
        assert reader.blocked_s <= 2.2 and reader.longest_s <= 2.2, (reader.table, reader.blocked_s, reader.longest_s)

    again = wizard(cli_env, *tuesday)  # the same command: the day resumes at 2.4 and passes
    assert again.returncode == 0, again.stdout + again.stderr
    assert table_count(url) == 43
