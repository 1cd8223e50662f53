"""Faults, as data (tests/faults/*.toml): the wizard killed with SIGKILL at many points of each
migration, the server stopped mid-step, the connection terminated, a lock held, the journal's disk
full. Each category prints one line: trials, survived, data lost. Data lost means the journal's
chain broken, or the schema (tables, columns, row counts) equal to neither the state before the
migration nor the state after it: a migration is one transaction, so nothing in between may exist.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import psycopg
import pytest

from wizard.journal import verify
from wizard.rehearsal import clusters as sandbox

HERE = Path(__file__).parent
CASES = sorted((HERE / "faults").glob("*.toml"))
MIGRATIONS = HERE.parent / "sql" / "migrations"
DRIVER = HERE / "fault_driver.py"

RUNBOOK = """title = "Faults"
[facts]
core_tables = []
[[days]]
id = "monday"
title = "Faults"
summary = "One migration, faulted."
[[days.tasks]]
id = "1.1"
title = "Apply"
estimate_minutes = 1
instructions = "Applies one migration in one transaction."
[[days.tasks.steps]]
id = "1.1.apply"
kind = "migration"
title = "Apply the migration"
target = "staging"
file = "{file}"
lock_timeout = "1s"
"""


def _info(dbname: str) -> dict:
    return {**sandbox.conninfo("sandbox-staging"), "dbname": dbname}


def _admin(sql: str) -> None:
    with psycopg.connect(**_info("template1"), autocommit=True) as conn:
        conn.execute(sql)


def _snapshot(dbname: str) -> dict:
    with psycopg.connect(**_info(dbname)) as conn:
        columns = conn.execute("select table_name, column_name, data_type from information_schema.columns "
                               "where table_schema = 'public' order by 1, 2").fetchall()
        tables = [r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public' order by 1")]
        counts = {t: conn.execute(f'select count(*) from public."{t}"').fetchone()[0] for t in tables}
    return {"columns": columns, "counts": counts}


def _copy(template: str) -> str:
    name = "f_" + uuid.uuid4().hex[:10]
    _admin(f"create database {name} template {template}")
    return name


def _apply(dbname: str, file: Path) -> None:
    with psycopg.connect(**_info(dbname)) as conn:  # one transaction, committed on exit
        conn.execute(file.read_text())


@pytest.fixture(scope="module")
def bases(clusters):
    """Template databases and the before/after state of each migration on its base."""
    after_011 = _copy("pristine")
    _apply(after_011, MIGRATIONS / "011_fix_migration_conflicts.sql")
    _admin(f"alter database {after_011} is_template true")
    templates = {"pristine": "pristine", "after_011": after_011}
    states: dict = {}
    yield templates, states
    _admin(f"alter database {after_011} is_template false")
    _admin(f"drop database if exists {after_011} with (force)")


def _states(bases, base: str, migration: Path) -> tuple[dict, dict]:
    templates, states = bases
    key = (base, migration.name)
    if key not in states:
        scratch = _copy(templates[base])
        before = _snapshot(scratch)
        _apply(scratch, migration)
        states[key] = (before, _snapshot(scratch))
        _admin(f"drop database {scratch} with (force)")
    return states[key]


def _sql_events(journal: Path) -> int:
    try:
        text = journal.read_bytes()
    except OSError:
        return 0
    return text.count(b'"type":"sql"')


def _wait_for_sql(proc: subprocess.Popen, journal: Path, count: int) -> None:
    deadline = time.monotonic() + 60
    while _sql_events(journal) < count and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)


def _drive(runbook: Path, dbname: str, journal: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(DRIVER), str(runbook), dbname, str(journal)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _trial(spec: dict, trial: dict, bases, tmp: Path) -> dict:
    migration = (HERE / "faults" / spec["migration"]) if (HERE / "faults" / spec["migration"]).exists() else MIGRATIONS / spec["migration"]
    before, after = _states(bases, spec["base"], migration)
    dbname = _copy(bases[0][spec["base"]])
    runbook = tmp / "runbook.toml"
    runbook.write_text(RUNBOOK.replace("{file}", str(migration)))
    journal_dir = tmp / "journal"
    journal_dir.mkdir()
    journal = journal_dir / "faults.jsonl"
    fault, mounted, holder = spec["fault"], False, None
    outcome: dict = {"resumed": None}
    try:
        if fault == "disk_full":
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(journal_dir)], capture_output=True).returncode:
                pytest.skip("cannot mount a 64 KiB tmpfs here (needs root)")
            mounted = True
            (journal_dir / "filler").write_bytes(b"x" * ((64 - trial["free_kib"]) * 1024))
        if fault == "lock":
            holder = psycopg.connect(**_info(dbname))
            holder.execute(f"lock table public.{spec['lock_table']} in access exclusive mode")
        proc = _drive(runbook, dbname, journal)
        if fault in ("kill", "stop_server", "terminate"):
            _wait_for_sql(proc, journal, trial["after_sql"])
            time.sleep(trial["delay_s"])
            if fault == "kill":
                proc.send_signal(signal.SIGKILL)
            elif fault == "stop_server":
                subprocess.run([sys.executable, "-m", "wizard.cli", "sandbox", "stop", "sandbox-staging"], capture_output=True, timeout=60)
            else:
                _admin(f"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{dbname}' and pid <> pg_backend_pid()")
        out, err = proc.communicate(timeout=120)
        outcome.update(code=proc.returncode, said=out + err)
        if fault == "stop_server":
            sandbox.ensure("sandbox-staging")
        if holder is not None:
            holder.close()
            holder = None
        if fault == "kill":  # the server rolls the dead client's transaction back once it notices
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _snapshot(dbname) not in (before, after):
                time.sleep(0.2)
        state = _snapshot(dbname)
        checked = verify(journal)
        outcome.update(state="before" if state == before else "after" if state == after else "between",
                       intact=checked.intact, problems=[p.what for p in checked.problems])
        if fault in ("kill", "stop_server", "terminate"):  # the same command again resumes and finishes
            again = _drive(runbook, dbname, journal)
            out, err = again.communicate(timeout=120)
            outcome["resumed"] = {"code": again.returncode, "said": out + err,
                                  "state": "after" if _snapshot(dbname) == after else "not after",
                                  "intact": verify(journal).intact}
    finally:
        if holder is not None:
            holder.close()
        if mounted:
            subprocess.run(["umount", str(journal_dir)])
        _admin(f"drop database if exists {dbname} with (force)")
    return outcome


def _judge(spec: dict, outcome: dict) -> tuple[bool, bool, str]:
    """(survived, data lost, why not)."""
    lost = not outcome["intact"] or outcome["state"] == "between"
    why = []
    if lost:
        why.append(f"data lost: state {outcome['state']}, journal {outcome['problems']}")
    if "Traceback" in outcome["said"]:
        why.append("traceback: " + outcome["said"][-800:])
    fault = spec["fault"]
    if fault == "lock" and (outcome["code"] != 1 or outcome["state"] != "before" or "55P03" not in outcome["said"]):
        why.append(f"lock: exit {outcome['code']}, state {outcome['state']}: {outcome['said'][-400:]}")
    if fault == "disk_full" and outcome["code"] not in (0, 2):
        why.append(f"disk full: exit {outcome['code']}: {outcome['said'][-400:]}")
    if fault == "disk_full" and outcome["code"] == 2 and "No space left" not in outcome["said"]:
        why.append(f"disk full: unclear message: {outcome['said'][-400:]}")
    if fault in ("stop_server", "terminate") and outcome["code"] == 0 and outcome["state"] != "after":
        why.append("the run said it passed but the migration is not there")
    resumed = outcome["resumed"]
    if resumed is not None and (resumed["code"] != 0 or resumed["state"] != "after" or not resumed["intact"]):
        why.append(f"resume: exit {resumed['code']}, {resumed['state']}, intact {resumed['intact']}: {resumed['said'][-600:]}")
    return not why, lost, "; ".join(why)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_faults(case: Path, bases, tmp_path: Path, capsys):
    spec = tomllib.loads(case.read_text())
    survived, lost, failures, seen = 0, 0, [], {}
    for number, trial in enumerate(spec["trials"]):
        tmp = tmp_path / f"trial{number}"
        tmp.mkdir()
        outcome = _trial(spec, trial, bases, tmp)
        ok, was_lost, why = _judge(spec, outcome)
        seen[f"{outcome['state']}, exit {outcome['code']}"] = seen.get(f"{outcome['state']}, exit {outcome['code']}", 0) + 1
        survived += ok
        lost += was_lost
        if not ok:
            failures.append(f"trial {json.dumps(trial)}: {why}")
    with capsys.disabled():
        print(f"\n{spec['category']}: {len(spec['trials'])} trials, {survived} survived, {lost} data lost "
              f"(after the fault: {'; '.join(f'{k} x{v}' for k, v in sorted(seen.items()))})")
    assert not failures, "\n".join(failures)
