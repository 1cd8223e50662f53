"""Week 2 rehearsed after Week 1: `rehearse --headless` then `rehearse --headless --runbook week2`,
on the same sandboxes (not rebuilt), each week with its own journal; 43 + 25 = 68 tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

from wizard import analysis, paths
from wizard.errors import WizardError
from wizard.rehearsal.preparation import REHEARSAL_RUNBOOKS, rehearsal_runbook

WEEK2_MIGRATIONS = {"013_add_codex_positioning_campaigns.sql": 7, "014_add_codex_gamification_achievements.sql": 6,
                    "015_add_codex_agent_registry.sql": 6, "016_add_codex_intelligence_alerts.sql": 6,
                    "017_add_codex_rls_policies_indexes.sql": 0}


def test_week2_migrations_create_the_25_codex_tables_as_plain_sql():
    created: list[str] = []
    for name, count in WEEK2_MIGRATIONS.items():
        plan = analysis.analyse_file(paths.sql_dir() / "migrations" / name)
        assert not plan.has_transaction_control and plan.dropped_tables == [], name
        assert len(plan.created_tables) == count, name
        created += plan.created_tables
    assert len(set(created)) == 25 and all(t.startswith("codex_") for t in created)


def test_runbook_names_and_paths():
    assert rehearsal_runbook(None).name == "week1"
    assert rehearsal_runbook("week2").continues == "week1"
    assert rehearsal_runbook(str(REHEARSAL_RUNBOOKS["week2"].path)).name == "week2"  # the shipped file, by path
    with pytest.raises(WizardError, match="neither a shipped rehearsal"):
        rehearsal_runbook("week9")


def cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard.cli", *argv], env=env, capture_output=True, text=True, timeout=600)


def public_tables(env: dict[str, str], name: str) -> tuple[int, int]:
    """(public base tables, foreign keys on codex_ tables that lead no index)."""
    url = cli(env, "sandbox", "url", name).stdout.strip()
    with psycopg.connect(url) as conn:
        tables = conn.execute("select count(*) from information_schema.tables where table_schema = 'public' "
                              "and table_type = 'BASE TABLE'").fetchone()[0]
        unindexed = conn.execute("""
            select count(*) from pg_constraint k
            where k.contype = 'f' and k.connamespace = 'public'::regnamespace and k.conrelid::regclass::text like 'codex\\_%'
              and not exists (select 1 from pg_index i where i.indrelid = k.conrelid
                              and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] = k.conkey)""").fetchone()[0]
    return tables, unindexed


def test_week1_then_week2_on_the_same_sandboxes(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(data), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "cfg"),
           "NO_COLOR": "1", "COLUMNS": "150"}
    journals = data / "journals"
    try:
        early = cli(env, "rehearse", "--headless", "--runbook", "week2")  # Week 2 needs Week 1's end state
        assert early.returncode == 2 and "Traceback" not in early.stderr, early.stderr
        assert "Rehearse week1 first" in " ".join(early.stderr.split())

        week1 = cli(env, "rehearse", "--headless")
        assert week1.returncode == 0, week1.stdout[-3000:] + week1.stderr[-2000:]
        week1_journal = (journals / "rehearsal.jsonl").read_bytes()
        assert public_tables(env, "sandbox-staging")[0] == public_tables(env, "sandbox-production")[0] == 43

        week2 = cli(env, "rehearse", "--headless", "--runbook", "week2")
        assert week2.returncode == 0, week2.stdout[-3000:] + week2.stderr[-2000:]
        for name in ("sandbox-staging", "sandbox-production"):
            assert public_tables(env, name) == (68, 0), name  # 43 + 25, every foreign key indexed by 017
        assert (journals / "rehearsal.jsonl").read_bytes() == week1_journal  # Week 1's journal left alone
        events = [json.loads(line) for line in (journals / "week2-rehearsal.jsonl").read_text().splitlines()]
        assert events[0]["runbook_path"].endswith("week2.toml")
        confirmed = [e["step"] for e in events if e["type"] == "production_confirmed"]
        assert confirmed == [f"4.3.apply_0{n}" for n in range(13, 18)]  # each through the gate, after staging
        assert not [e for e in events if e["type"] == "guard_refused"]
        log = journals / "week2-rehearsal-documents" / "MIGRATION_LOG_WEEK2.md"
        assert log.read_text().startswith("# Migration Log - Week 2")
        # Week 2's documents, named by its [report], speak of Week 2 alone (no next week named: no checklist).
        documents = sorted(p.name for p in log.parent.iterdir())
        assert documents == ["MIGRATION_LOG_WEEK2.md", "MIGRATION_WEEK2_FINAL_REPORT.md", "TEAM_UPDATE_WEEK2.txt",
                             "VERIFICATION_RESULTS_WEEK2_FINAL.txt"], documents
        report = (log.parent / "MIGRATION_WEEK2_FINAL_REPORT.md").read_text()
        for path in log.parent.iterdir():
            for week1 in ("011_", "012_", "quests", "3 total", "RaptorBus", "Schema Conflicts", "- Application:"):
                assert week1 not in path.read_text(), (path.name, week1)
        assert "- Codex tables on production: the same tables as staging, RLS and a policy on each ✅" in report
        assert "✅ 68 tables" not in report and "- End: 68 tables (5.1 on production)" in report
    finally:
        for name in ("sandbox-staging", "sandbox-production"):
            cli(env, "sandbox", "stop", name)
