"""The production gate: Thursday's 011 on a production-role environment needs the same file passed on
staging in this run, a fresh backup and the environment's name typed. Real clusters, real runbook."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from wizard import guards
from wizard.environments import secrets
from wizard.session import AnswersDialogue
from wizard.cli import main
from wizard.engine import Engine
from wizard.environments import Environment
from wizard.errors import EnvironmentRefused
from wizard.journal import Journal
from wizard.runbook import load_runbook
from wizard.runbook.model import Step
from keyring_support import MemoryKeyring

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(autouse=True)
def memory_keyring():
    secrets.use_backend(MemoryKeyring())
    yield
    secrets.use_backend(None)


@pytest.fixture
def dbs(clusters):
    """Two fresh copies of the pre-clean-up database on one cluster: one plays staging, one production."""
    from wizard.rehearsal import clusters as sandbox

    info = sandbox.conninfo("sandbox-staging")
    names = {role: f"g_{role[:4]}_{uuid.uuid4().hex[:8]}" for role in ("staging", "production")}
    with psycopg.connect(**{**info, "dbname": "template1"}, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f"create database {name} template pristine")
    yield {role: {**info, "dbname": name} for role, name in names.items()}
    with psycopg.connect(**{**info, "dbname": "template1"}, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f"drop database if exists {name} with (force)")


def envs(dbs, workspace: Path | None = None) -> tuple[Environment, Environment]:
    from wizard.rehearsal import clusters as sandbox

    ws = str(workspace or sandbox.workspace_dir())
    return (Environment("staging", "staging", "staging", dbs["staging"], workspace=ws),
            Environment("production", "production", "production", dbs["production"], workspace=str(sandbox.workspace_dir())))


class Typed:
    """A confirmer that records being asked."""

    def __init__(self, *answers: str | None) -> None:
        self.answers, self.asked = list(answers), []
        self.source = "typed"

    async def __call__(self, env, step):  # noqa: ANN001
        self.asked.append((env.name, step.id))
        return self.answers.pop(0)


def engine(env: Environment, journal: Journal, confirm=None, answers: dict | None = None) -> Engine:  # noqa: ANN001
    return Engine(load_runbook(), env, journal, ask=AnswersDialogue(answers or {}).ask,
                  guards=guards.standard(confirm))


async def stage(env: Environment, journal: Journal) -> None:
    """Monday's review of 011 and baseline, and Tuesday's apply of 011, on staging."""
    for day, task, answers in (("monday", "1.1", {"1.1.read_conflicts": "yes"}), ("monday", "1.6", {}), ("tuesday", "2.2", {})):
        outcome = await engine(env, journal, answers=answers).run_day(day, [task])
        assert outcome.ok, [(r.step_id, r.error, [c.describe for c in r.checks if not c.ok]) for r in outcome.results]


def columns(conninfo: dict) -> list[str]:
    with psycopg.connect(**conninfo) as conn:
        return [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_name = 'agent_recommendations' "
            "order by ordinal_position").fetchall()]


def events(journal: Journal, kind: str) -> list[dict]:
    return [e for e in journal.events if e["type"] == kind]


async def test_011_on_production_without_a_staging_pass_is_refused(dbs, tmp_path):
    staging, production = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    before = columns(production.conninfo)
    typed = Typed("production")
    backup = {"4.1.backup": NOW.isoformat()}
    with pytest.raises(EnvironmentRefused) as err:
        await engine(production, journal, typed, backup).run_day("thursday", ["4.1", "4.4"])
    assert err.value.what.startswith("Refused: step 4.4.apply_011 would change production (production, plays production), but "
                                     "011_fix_migration_conflicts.sql (sha256 ")
    assert "has not passed on a staging environment in this run. Nothing was run." in err.value.what
    assert "Apply it on staging first (Tuesday)" in err.value.fix
    assert typed.asked == []  # nobody is asked to type a name for a change that cannot go ahead
    assert columns(production.conninfo) == before
    assert not any(e.get("step") == "4.4.apply_011" for e in events(journal, "sql"))
    refused = events(journal, "guard_refused")
    assert refused and refused[0]["step"] == "4.4.apply_011" and refused[0]["env"] == "production"


async def test_a_different_file_on_staging_is_refused(dbs, tmp_path):
    from wizard.rehearsal import clusters as sandbox

    edited = tmp_path / "workspace"
    shutil.copytree(sandbox.workspace_dir(), edited)
    m011 = edited / "database" / "migrations" / "011_fix_migration_conflicts.sql"
    m011.write_text(m011.read_text() + "\n-- edited after the review\n")
    staging, production = envs(dbs, workspace=edited)
    journal = Journal(tmp_path / "j.jsonl")
    await stage(staging, journal)
    with pytest.raises(EnvironmentRefused) as err:
        await engine(production, journal, Typed("production"), {"4.1.backup": NOW.isoformat()}).run_day("thursday", ["4.1", "4.4"])
    assert "011_fix_migration_conflicts.sql passed on staging with a different file: sha256 " in err.value.what
    assert "Apply exactly this file on staging first" in err.value.fix
    assert columns(production.conninfo) == columns(dbs["production"])


async def test_after_a_staging_pass_and_the_typed_name_it_runs(dbs, tmp_path):
    staging, production = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    await stage(staging, journal)
    backup = {"4.1.backup": NOW.isoformat()}
    wrong = Typed("yes")
    with pytest.raises(EnvironmentRefused) as err:
        await engine(production, journal, wrong, backup).run_day("thursday", ["4.1", "4.4"])
    assert err.value.what.endswith("but the name typed ('yes') is not 'production'. Nothing was run.")
    assert "workspace_id" not in columns(production.conninfo)
    typed = Typed("production")
    outcome = await engine(production, journal, typed, backup).run_day("thursday", ["4.4"])
    assert outcome.ok, [r.error or [c for c in r.checks if not c.ok] for r in outcome.results]
    assert typed.asked == [("production", "4.4.apply_011")]
    assert "workspace_id" in columns(production.conninfo)
    confirmed = events(journal, "production_confirmed")[-1]
    assert confirmed["confirmed_by"] == "typed" and confirmed["staging_pass"]["env"] == "staging"
    staged = next(e for e in events(journal, "step_finished") if e["step"] == "2.2.apply_011")
    assert confirmed["sha256"] == staged["result"]["data"]["sha256"]


def tables(conninfo: dict) -> list[str]:
    with psycopg.connect(**conninfo) as conn:
        return [r[0] for r in conn.execute(
            "select tablename from pg_tables where schemaname = 'public' order by 1").fetchall()]


async def test_a_file_saved_while_the_name_is_typed_is_not_applied(dbs, tmp_path):
    """The gate hashes 011 and waits for the name; an editor saves the file with an extra DROP
    TABLE meanwhile. What runs is what was checked: the staged bytes, not the saved ones."""
    from wizard.rehearsal import clusters as sandbox

    workspace = tmp_path / "workspace"
    shutil.copytree(sandbox.workspace_dir(), workspace)
    m011 = workspace / "database" / "migrations" / "011_fix_migration_conflicts.sql"
    staged_text = m011.read_text()
    staging, production = envs(dbs, workspace=workspace)
    production = Environment("production", "production", "production", dbs["production"], workspace=str(workspace))
    journal = Journal(tmp_path / "j.jsonl")
    await stage(staging, journal)

    async def type_while_the_file_changes(env, step):  # noqa: ANN001
        m011.write_text(staged_text + "\nDROP TABLE cohort_relations CASCADE;\n")
        return "production"

    type_while_the_file_changes.source = "typed"
    outcome = await engine(production, journal, type_while_the_file_changes,
                           {"4.1.backup": NOW.isoformat()}).run_day("thursday", ["4.1", "4.4"])
    assert outcome.ok, [r.error for r in outcome.results]
    assert "cohort_relations" in tables(production.conninfo)
    assert "workspace_id" in columns(production.conninfo)
    staged = next(e for e in events(journal, "step_finished") if e["step"] == "2.2.apply_011")["result"]["data"]
    applied = next(e for e in events(journal, "step_finished") if e["step"] == "4.4.apply_011")["result"]["data"]
    confirmed = events(journal, "production_confirmed")[-1]
    assert confirmed["sha256"] == applied["sha256"] == staged["sha256"]
    ran = [e["text"] for e in events(journal, "sql") if e["step"] == "4.4.apply_011"]
    assert ran[-1] == staged_text and "DROP TABLE cohort_relations" not in "".join(ran)  # after its up-front LOCK
    # The next run reads the saved file: a different file from the one staged, refused.
    with pytest.raises(EnvironmentRefused) as err:
        await engine(production, journal, Typed("production")).run_step(
            *next((t, s) for t in load_runbook().day("thursday").tasks for s in t.steps if s.id == "4.4.apply_011"))
    assert "passed on staging with a different file" in err.value.what


async def test_backup_missing_or_stale_is_refused(dbs, tmp_path):
    staging, production = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    await stage(staging, journal)
    # stage() answered no backup: 1.4 was not run. Only 4.4, so no 4.1 either.
    with pytest.raises(EnvironmentRefused) as err:
        await engine(production, journal, Typed("production")).run_day("thursday", ["4.4"])
    assert "no backup is attested or taken in this run" in err.value.what and "4.1.backup" in err.value.fix
    # 4.1 accepts a backup 23 h old; by the time the migration runs, two hours later, it is too old.
    old = (NOW - dt.timedelta(hours=23)).isoformat()
    assert (await engine(production, journal, answers={"4.1.backup": old}).run_day("thursday", ["4.1"])).ok
    later = Engine(load_runbook(), production, journal, ask=AnswersDialogue({}).ask,
                   guards=[guards.migration_order, guards.ProductionGate(Typed("production"),
                                                                         now=lambda: NOW + dt.timedelta(hours=2))])
    with pytest.raises(EnvironmentRefused) as err:
        await later.run_day("thursday", ["4.4"])
    assert "h old; the runbook needs one from the last 24 h" in err.value.what
    assert "workspace_id" not in columns(production.conninfo)


async def test_headless_needs_the_flag_and_still_checks_hashes(dbs, tmp_path):
    staging, production = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    with pytest.raises(EnvironmentRefused) as err:  # flag given, but nothing passed on staging
        await engine(production, journal, guards.flag_confirmer("production"),
                     {"4.1.backup": NOW.isoformat()}).run_day("thursday", ["4.1", "4.4"])
    assert "has not passed on a staging environment" in err.value.what
    await stage(staging, journal)
    with pytest.raises(EnvironmentRefused) as err:  # no flag
        await engine(production, journal, guards.flag_confirmer(None)).run_day("thursday", ["4.4"])
    assert "a headless run on production needs --confirm-production production" in err.value.what
    assert (await engine(production, journal, guards.flag_confirmer("production")).run_day("thursday", ["4.4"])).ok
    assert events(journal, "production_confirmed")[-1]["confirmed_by"] == "--confirm-production"


async def test_only_production_writes_are_gated(dbs, tmp_path):
    staging, production = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    # A dry run on production is not a write (it rolls back); staging needs no typed name.
    dry = Typed()
    outcome = await engine(production, journal, dry).run_day("thursday", ["4.3"])
    assert dry.asked == [] and not events(journal, "guard_refused")
    assert outcome.results[0].data.get("rolled_back") is True
    assert guards.is_production_write(Step("s", "service", "restart", "production", {"action": "restart"}))
    assert not guards.is_production_write(Step("q", "query", "q", "production", {"sql": "select 1"}))
    assert not guards.is_production_write(Step("m", "migration", "m", "production", {"file": "x", "mode": "dry_run"}))


async def test_the_rehearsal_confirms_only_sandbox_production():
    from wizard.session import RehearsalDialogue

    confirm = RehearsalDialogue({}).confirm_production
    step = Step("4.4.apply_011", "migration", "m", "production", {"file": "x"})
    prod = Environment("sandbox-production", "sandbox", "production")
    assert await confirm(prod, step) == "sandbox-production"
    assert await confirm(Environment("production", "production", "production"), step) is None
    assert await confirm(Environment("sandbox-production", "production", "production"), step) is None


# --- headless, through the CLI ----------------------------------------------------------------------

@pytest.fixture
def profile_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "environments.toml"
    monkeypatch.setenv("MIGRATION_WIZARD_PROFILES", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    return path


def write_profiles(path: Path, dbs: dict) -> None:
    from wizard.rehearsal import clusters as sandbox

    text = ""
    for role, info in dbs.items():
        text += (f'[environments.{role}]\nkind = "{role}"\nhost = "{info["host"]}"\nuser = "postgres"\n'
                 f'dbname = "{info["dbname"]}"\nworkspace = "{sandbox.workspace_dir()}"\n\n')
    path.write_text(text)


def test_headless_thursday_on_production(dbs, profile_file, tmp_path, capsys):
    write_profiles(profile_file, dbs)
    journal = str(tmp_path / "week1.jsonl")
    answers = tmp_path / "answers.toml"
    answers.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n"4.1.backup" = "{NOW.isoformat()}"\n')
    run = ["run", "--headless", "--journal", journal, "--answers", str(answers)]
    assert main([*run, "--env", "production", "--day", "thursday", "--task", "4.1"]) == 0
    assert main([*run, "--env", "production", "--day", "thursday", "--task", "4.4",
                 "--confirm-production", "staging"]) == 2
    assert ("--confirm-production 'staging' does not name the environment being run (production). Nothing was run."
            in capsys.readouterr().err)
    assert main([*run, "--env", "production", "--day", "thursday", "--task", "4.4"]) == 2
    err = capsys.readouterr().err
    assert "has not passed on a staging environment in this run" in err and "Traceback" not in err
    assert main([*run, "--env", "staging", "--day", "monday", "--task", "1.1"]) == 0
    assert main([*run, "--env", "staging", "--day", "monday", "--task", "1.6"]) == 0
    assert main([*run, "--env", "staging", "--day", "tuesday", "--task", "2.2", "--confirm-drops"]) == 0
    assert main([*run, "--env", "production", "--day", "thursday", "--task", "4.4"]) == 2  # no flag, no terminal
    assert "needs --confirm-production production" in capsys.readouterr().err
    assert main([*run, "--env", "production", "--day", "thursday", "--task", "4.4", "--confirm-production", "production"]) == 0
    assert "011_fix_migration_conflicts.sql sha256 " in flat(capsys.readouterr().out)  # the evidence, shown
    assert "workspace_id" in columns(dbs["production"])
    lines = [json.loads(line) for line in Path(journal).read_text().splitlines()]
    assert [e["missing"][0][:40] for e in lines if e["type"] == "guard_refused"]
    assert [e["confirmed_by"] for e in lines if e["type"] == "production_confirmed"] == ["--confirm-production"]


def test_the_rehearsal_passes_its_own_gates(tmp_path):
    """The full headless rehearsal in a data dir of its own: the production writes on
    sandbox-production (Thursday's migrations, Friday's backend start) go through the same gate,
    confirmed by the rehearsal, after the staging passes."""
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path / "data"), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "cfg"),
           "NO_COLOR": "1", "COLUMNS": "150"}
    try:
        done = subprocess.run([sys.executable, "-m", "wizard.cli", "rehearse", "--headless"], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        lines = [json.loads(line) for line in (tmp_path / "data" / "journals" / "rehearsal.jsonl").read_text().splitlines()]
        confirmed = [e for e in lines if e["type"] == "production_confirmed"]
        # Thursday's two migrations and Friday's backend start: production writes, each through the gate
        assert [e["step"] for e in confirmed] == ["4.4.apply_011", "4.5.apply_012", "5.1.start_backend"]
        assert all(e["confirmed_by"] == "rehearsal" and e["env"] == "sandbox-production" for e in confirmed)
        # the migrations carry the staging pass of the same file (a service start has no file to match)
        assert {e["staging_pass"]["env"] for e in confirmed if e["step"].startswith("4.")} == {"sandbox-staging"}
        assert not [e for e in lines if e["type"] == "guard_refused"]
    finally:
        for name in ("sandbox-staging", "sandbox-production"):
            subprocess.run([sys.executable, "-m", "wizard.cli", "sandbox", "stop", name], env=env, capture_output=True)


def flat(text: str) -> str:
    """The CLI's lines as one line (rich wraps long messages at the terminal width)."""
    return " ".join(text.split())


# --- fingerprint pinning, end to end -----------------------------------------------------------------

def test_staging_pointing_at_sandbox_production_is_refused_before_any_sql(dbs, profile_file, tmp_path, capsys):
    """`staging` pinned to the sandbox-staging cluster, then re-pointed at sandbox-production."""
    from wizard.rehearsal import clusters as sandbox

    sandbox.ensure("sandbox-production")
    prod_info = sandbox.conninfo("sandbox-production")
    write_profiles(profile_file, {"staging": dbs["staging"]})
    journal = tmp_path / "week1.jsonl"
    run = ["run", "--headless", "--journal", str(journal)]
    assert main([*run, "--env", "staging", "--day", "monday", "--task", "1.6"]) == 0  # pins staging
    main([*run, "--env", "sandbox-production", "--day", "thursday", "--task", "4.7"])  # pins sandbox-production
    url = f"host={prod_info['host']} port=5432 dbname=postgres user=postgres"
    assert main(["env", "add", "staging", "--kind", "staging", "--url", url, "--replace"]) == 0
    capsys.readouterr()
    before = columns(prod_info)
    assert main([*run, "--env", "staging", "--day", "tuesday", "--task", "2.2"]) == 2
    err = flat(capsys.readouterr().err)
    assert "staging now points at a different server than the one pinned on first use" in err
    assert "It is the server pinned as sandbox-production. Nothing was run." in err
    assert "env forget staging --pin" in err
    assert columns(prod_info) == before
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    refused_at = max(i for i, e in enumerate(lines) if e["type"] == "env_refused")
    assert lines[refused_at]["found"]["database"] == "postgres"
    assert not [e for e in lines[refused_at:] if e["type"] == "sql"]  # no runbook SQL after the refusal

    # `env test` says the same, and a journal that never pinned sandbox-production still names it.
    assert main(["env", "test", "staging", "--journal", str(journal)]) == 2
    assert "It is the server pinned as sandbox-production." in flat(capsys.readouterr().err)
    other = tmp_path / "other.jsonl"
    write_profiles(profile_file, {"staging": dbs["staging"]})
    assert main(["run", "--headless", "--journal", str(other), "--env", "staging", "--day", "monday", "--task", "1.6"]) == 0
    assert main(["env", "add", "staging", "--kind", "staging", "--url", url, "--replace"]) == 0
    capsys.readouterr()
    assert main(["run", "--headless", "--journal", str(other), "--env", "staging", "--day", "tuesday", "--task", "2.2"]) == 2
    assert "It is the local sandbox-production cluster (database postgres)." in flat(capsys.readouterr().err)

    # Unpinning is deliberate and journaled; but the server it reaches is sandbox-production, pinned
    # as production in the journal beside this one: no staging profile pins it.
    assert main(["env", "forget", "staging", "--pin", "--journal", str(other)]) == 0
    assert "unpinned" in flat(capsys.readouterr().out)
    assert main(["env", "test", "staging", "--journal", str(other)]) == 2
    assert "reaches the server sandbox-production (sandbox, plays production) pinned" in flat(capsys.readouterr().err)
    from wizard.banner import banner_for
    from wizard.journal import read_events
    from wizard.environments.profiles import load_profile
    from wizard.journal import replay

    state = replay(read_events(other).events)
    assert "staging" not in state.pins and not banner_for(load_profile("staging"), pins=state.pins).pinned


def table_count(conninfo: dict) -> int:
    with psycopg.connect(**conninfo) as conn:
        return conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()[0]


def test_a_staging_profile_on_a_server_production_pinned_is_refused(clusters, profile_file, tmp_path, capsys):
    """`production` is pinned (by `env test`, in a journal of the journals folder) to the
    sandbox-production cluster; `stg2`, a staging profile whose URL was copied from production's,
    writes another journal and never saw that server. It is refused before any SQL."""
    from wizard import paths
    from wizard.rehearsal import clusters as sandbox

    sandbox.ensure("sandbox-production")
    info = sandbox.conninfo("sandbox-production")
    url = f"host={info['host']} port={info.get('port', 5432)} dbname=postgres user=postgres"
    assert main(["env", "add", "production", "--kind", "production", "--url", url]) == 0
    assert main(["env", "add", "stg2", "--kind", "staging", "--url", url]) == 0
    prod_journal = paths.journals_dir() / f"production-{uuid.uuid4().hex[:8]}.jsonl"
    try:
        capsys.readouterr()
        assert main(["env", "test", "production", "--journal", str(prod_journal)]) == 0  # pins on first success
        assert "pin: pinned now in" in flat(capsys.readouterr().out)
        before = table_count(info)
        journal = tmp_path / "elsewhere" / "stg2.jsonl"
        assert main(["run", "--headless", "--env", "stg2", "--day", "tuesday", "--journal", str(journal)]) == 2
        err = flat(capsys.readouterr().err)
        assert "stg2 (staging, plays staging) reaches the server production (production, plays production) pinned" in err
        assert "A staging environment never runs there. Nothing was run." in err and "Traceback" not in err
        assert table_count(info) == before
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        assert not [e for e in lines if e["type"] in ("sql", "env_pinned")]
        refused = [e for e in lines if e["type"] == "env_refused"]
        assert refused and refused[-1]["production_pin"]["env"] == "production"
        # `env test` refuses it the same way, and pins nothing.
        assert main(["env", "test", "stg2", "--journal", str(journal)]) == 2
        assert "reaches the server production (production, plays production) pinned" in flat(capsys.readouterr().err)
        # Another production profile on that server: tested, pinned, and told who else pinned it.
        assert main(["env", "add", "prod-copy", "--kind", "production", "--url", url]) == 0
        capsys.readouterr()
        assert main(["env", "test", "prod-copy", "--journal", str(journal)]) == 0
        assert f"also pinned to this server: production (production, plays production) in {prod_journal}" in flat(
            capsys.readouterr().out)
    finally:
        from wizard.journal import head_path

        for path in (prod_journal, prod_journal.with_name(prod_journal.name + ".lock"), head_path(prod_journal)):
            path.unlink(missing_ok=True)


# --- order between migrations, and what a drop takes (issue 12) ---------------------------------------

def step_of(book, step_id):  # noqa: ANN001
    return next((t, s) for t in book.tasks() for s in t.steps if s.id == step_id)


class Drops:
    """A drop confirmer that records the preview it was shown."""

    def __init__(self, answer: bool) -> None:
        self.answer, self.shown = answer, []

    async def __call__(self, env, step, preview):  # noqa: ANN001
        self.shown.append((env.name, step.id, preview))
        return self.answer


def drop_engine(env: Environment, journal: Journal, confirm) -> Engine:  # noqa: ANN001
    from wizard.session.inspect import preview_sql

    return Engine(load_runbook(), env, journal, ask=AnswersDialogue({}).ask,
                  guards=[guards.migration_order, guards.DropGate(confirm, preview_sql, source="typed")])


async def test_012_is_refused_where_011_has_not_passed(dbs, tmp_path):
    staging, production = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    book = load_runbook()
    before = tables(staging.conninfo)
    with pytest.raises(EnvironmentRefused) as err:
        await engine(staging, journal).run_step(*step_of(book, "2.4.apply_012"))
    assert ("Refused: step 2.4.apply_012 (Apply 012_remove_unused_features.sql to staging) comes after 2.2.apply_011 "
            "(011_fix_migration_conflicts.sql) in the runbook, and 2.2.apply_011 has not passed on staging") in err.value.what
    assert "run step 2.2.apply_011 (task 2.2, Tuesday) on staging" in err.value.fix
    assert tables(staging.conninfo) == before
    # On production, 4.5 (012) waits for 4.4 (011) there: refused before the gate asks anything.
    typed = Typed("production")
    with pytest.raises(EnvironmentRefused) as err:
        await engine(production, journal, typed).run_step(*step_of(book, "4.5.apply_012"))
    assert "comes after 4.4.apply_011" in err.value.what and typed.asked == []
    # A dry run is not an apply: 4.3's dry run of 012 is not held back by the order.
    await stage(staging, journal)
    assert not [e for e in events(journal, "guard_refused") if e["step"] == "2.2.apply_011"]


async def test_012_on_staging_shows_the_nine_tables_and_asks(dbs, tmp_path):
    staging, _ = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    await stage(staging, journal)  # 011 rebuilds agent_recommendations: no drop to confirm
    assert not events(journal, "drops_confirmed")
    before = tables(staging.conninfo)
    no = Drops(False)
    with pytest.raises(EnvironmentRefused) as err:
        await drop_engine(staging, journal, no).run_step(*step_of(load_runbook(), "2.4.apply_012"))
    assert "would drop 9 tables (public.quest_milestones" in err.value.what
    assert "on staging, and that was not confirmed. Nothing was run" in err.value.what
    assert tables(staging.conninfo) == before
    [(env_name, step_id, preview)] = no.shown
    assert (env_name, step_id) == ("staging", "2.4.apply_012")
    assert len(preview["drops"]) == 9 and all(isinstance(d["rows"], int) for d in preview["drops"])
    assert preview["sha256"] and "lint" in preview
    lines = guards.drop_lines(preview)
    assert lines[0] == "012_remove_unused_features.sql drops 9 tables:" and " rows" in lines[1]
    yes = Drops(True)
    result = await drop_engine(staging, journal, yes).run_step(*step_of(load_runbook(), "2.4.apply_012"))
    assert result.data.get("rolled_back") is False, result.error
    gone = set(before) - set(tables(staging.conninfo))
    assert len(gone) == 9
    confirmed = events(journal, "drops_confirmed")[-1]
    assert confirmed["confirmed_by"] == "typed" and len(confirmed["tables"]) == 9
    assert confirmed["sha256"] == result.data["sha256"]


async def test_the_production_gate_shows_drops_backup_age_and_staging_match(dbs, tmp_path):
    from wizard.session.inspect import preview_sql

    staging, production = envs(dbs)
    journal = Journal(tmp_path / "j.jsonl")
    await stage(staging, journal)
    shown = []

    async def confirm(env, step, evidence):  # noqa: ANN001
        shown.append(evidence)
        return "production"

    gate = guards.ProductionGate(confirm, source="typed", preview=preview_sql, with_evidence=True)
    eng = Engine(load_runbook(), production, journal, ask=AnswersDialogue({"4.1.backup": NOW.isoformat()}).ask,
                 guards=[guards.migration_order, gate])
    assert (await eng.run_day("thursday", ["4.1", "4.4"])).ok
    [evidence] = shown
    assert evidence["staging_pass"]["env"] == "staging" and evidence["staging_pass"]["step"] == "2.2.apply_011"
    assert 0 <= evidence["backup"]["age_hours"] < 1
    assert [d["table"] for d in evidence["preview"]["drops"]] == ["public.agent_recommendations"]
    assert evidence["preview"]["drops"][0]["rebuilt"] is True
    assert events(journal, "production_confirmed")[-1]["drops"][0]["table"] == "public.agent_recommendations"


def test_headless_drops_need_confirm_drops_on_a_real_staging(dbs, profile_file, tmp_path, capsys):
    """A real staging (not a sandbox): headless, 012's tables are listed and nothing is dropped
    without --confirm-drops; with it, the drop is journaled with the tables and their rows."""
    write_profiles(profile_file, {"staging": dbs["staging"]})
    journal = str(tmp_path / "week1.jsonl")
    answers = tmp_path / "answers.toml"
    answers.write_text('[answers]\n"1.1.read_conflicts" = "yes"\n')
    run = ["run", "--headless", "--journal", journal, "--answers", str(answers), "--env", "staging"]
    assert main([*run, "--day", "tuesday", "--task", "2.4"]) == 2  # 011 first
    err = flat(capsys.readouterr().err)
    assert "comes after 2.2.apply_011 (011_fix_migration_conflicts.sql)" in err and "Apply 011_fix_migration_conflicts.sql first" in err
    for day, task in (("monday", "1.1"), ("monday", "1.2"), ("monday", "1.6")):
        assert main([*run, "--day", day, "--task", task]) == 0, capsys.readouterr()
    # 011 rebuilds a table and rewrites a column: it asks too, and names what it rewrites.
    assert main([*run, "--day", "tuesday", "--task", "2.2"]) == 2
    out = flat(capsys.readouterr().out)
    assert "rewrites line 152: backfill public.agent_trust_scores.workspace_id" in out and "Backup:" in out
    assert main([*run, "--day", "tuesday", "--task", "2.2", "--confirm-drops"]) == 0, capsys.readouterr()
    capsys.readouterr()
    before = tables(dbs["staging"])
    assert main([*run, "--day", "tuesday", "--task", "2.4"]) == 2
    out = capsys.readouterr()
    assert "012_remove_unused_features.sql drops 9 tables:" in out.out and "public.quests: 3 rows" in flat(out.out)
    assert "--confirm-drops" in flat(out.err) and "would drop 9 tables (" in flat(out.err)
    assert tables(dbs["staging"]) == before
    main([*run, "--day", "tuesday", "--task", "2.4", "--confirm-drops"])
    assert len(set(before) - set(tables(dbs["staging"]))) == 9
    lines = [json.loads(line) for line in Path(journal).read_text().splitlines()]
    [confirmed] = [e for e in lines if e["type"] == "drops_confirmed" and e["step"] == "2.4.apply_012"]
    assert confirmed["confirmed_by"] == "--confirm-drops" and len(confirmed["tables"]) == 9


def test_what_a_migration_rewrites_is_named_even_without_a_live_preview():
    """A dropped column and an UPDATE are rewrites (the operator confirms them); INSERT … SELECT
    adds rows and is not. Parsed offline, as when the live preview cannot be read."""
    text = ("ALTER TABLE t DROP COLUMN c;\nUPDATE t SET a = 1;\nINSERT INTO u SELECT * FROM t;\n"
            "CREATE TABLE v (id int);\n")
    preview = {"statements": guards._parsed_statements(text), "drops": []}
    assert [r["kind"] for r in guards.rewrites(preview)] == ["drop column", "backfill"]
    assert guards.takes_text(preview) == "rewrite data in 2 statements (line 1: drop column t.c; line 2: backfill t.a)"
    assert guards.takes_text({"statements": guards._parsed_statements("CREATE TABLE v (id int);"), "drops": []}) == \
        "change nothing it could lose"


def test_the_backup_line_has_one_wording_for_every_face():
    from wizard.guards import backup_line

    fresh = {"time": "2026-12-01T09:00:00+00:00", "how": "attested in step 4.1.backup", "age_hours": 1.5,
             "max_age_hours": 24.0, "too_old": False}
    assert backup_line(fresh) == ("Backup: 2026-12-01 09:00 UTC, 1.5 h old (within the runbook's 24 h), "
                                  "attested in step 4.1.backup.")
    assert "(too old for the runbook's 24 h)" in backup_line({**fresh, "age_hours": 30.0, "too_old": True})
    assert backup_line({"missing": "no backup is attested or taken in this run", "attest_steps": "step 4.1.backup"}) \
        == "Backup: none — no backup is attested or taken in this run (step 4.1.backup notes one)."
    assert backup_line({"time": "2026-12-01T09:00:00+00:00", "how": "pg_dump"}) == \
        "Backup: 2026-12-01 09:00 UTC, age unknown, pg_dump."
