"""The documents come from the journal alone, byte for byte the same each time.

tests/golden/journal.jsonl was made once by tests/golden/make_journal.py with real steps on the
sandbox clusters (a whole week with two mistakes and their fixes). The golden documents were
written by this code and checked by reading them; set MW_UPDATE_GOLDEN=1 to rewrite them after a
deliberate change, then read the diff.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from wizard import cli
from wizard.exports import export_all, render_all
from wizard.journal.store import GENESIS, _canonical, event_hash, line_hash

GOLDEN = Path(__file__).resolve().parent / "golden"
JOURNAL = GOLDEN / "journal.jsonl"
FILES = dict(runbook_path=GOLDEN / "week1.toml", sql_dir=GOLDEN / "sql", week2_path=GOLDEN / "week2.toml")
UPDATE = os.environ.get("MW_UPDATE_GOLDEN") == "1"
NAMES = ["MIGRATION_LOG_WEEK1.md", "VERIFICATION_RESULTS_FINAL.txt", "MIGRATION_WEEK1_FINAL_REPORT.md",
         "WEEK_2_DAILY_CHECKLIST.md", "TEAM_UPDATE.txt"]
REMOVED = ["quests", "quest_moves", "quest_milestones", "capability_nodes", "maneuver_prerequisites", "quick_wins",
           "cohort_relations", "move_decisions", "notifications"]


def _prefix_until_tuesday(tmp_path: Path) -> Path:
    """The same run cut after Tuesday passed: a shorter chain is still a whole chain."""
    lines = JOURNAL.read_bytes().split(b"\n")[:-1]
    cut = next(i for i, line in enumerate(lines) if b'"type":"day_finished"' in line and b'"day":"tuesday"' in line
               and b'"ok":true' in line)
    path = tmp_path / "until-tuesday.jsonl"
    path.write_bytes(b"\n".join(lines[: cut + 1]) + b"\n")
    return path


def _journal_for(case: str, tmp_path: Path) -> Path:
    return JOURNAL if case == "full" else _prefix_until_tuesday(tmp_path)


@pytest.mark.parametrize("case", ["full", "until-tuesday"])
@pytest.mark.parametrize("name", NAMES)
def test_export_matches_golden_byte_for_byte(case: str, name: str, tmp_path: Path):
    text = render_all(_journal_for(case, tmp_path), **FILES)[name]
    golden = GOLDEN / case / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(text.encode())
    assert golden.exists(), f"no golden file {golden}: run with MW_UPDATE_GOLDEN=1 once and read it"
    assert text.encode() == golden.read_bytes()


def test_same_journal_same_bytes_and_files(tmp_path: Path):
    first = export_all(JOURNAL, tmp_path / "a", **FILES)
    second = export_all(JOURNAL, tmp_path / "b", **FILES)
    assert [p.name for p in first] == NAMES
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
    assert not list((tmp_path / "a").glob(".*tmp*"))


def test_the_documents_carry_the_measured_week():
    docs = render_all(JOURNAL, **FILES)
    report = docs["MIGRATION_WEEK1_FINAL_REPORT.md"]
    assert "- Start: Monday (52 tables on sandbox-staging, measured by 1.6)" in report
    assert "- End: 43 tables (5.4 final verification on production)" in report
    for table in REMOVED:
        assert re.search(rf"^\| {table} \| yes \| yes \| gone ✅ \| gone ✅ \|$", report, re.M), table
    assert "- Measured on sandbox-staging: 52 tables before 012 → 43 after; 9 removed, 0 added" in report
    assert "agent_recommendations: on the 08 schema, workspace_id NOT NULL ✅" in report
    assert "`2.3.agent_trust_scores_workspace_id`: workspace_id exists and is NOT NULL" in report
    assert "- TOTAL: 0 rows lost (production: before 011 and after 012) ✅" in report
    assert "- Load test (5.3): not run yet" in report
    # The time table has a measured duration for each task that ran, and says which did not.
    row = re.search(r"^\| Tuesday \| 2\.4 Run Migration 012 on Staging \| 20 min \| (\d+\.\d\d s) \|", report, re.M)
    assert row and row.group(1) != "0.00 s"
    assert "| Wednesday | 3.2 Start Backend Server Against Staging DB | 30 min | not run yet |" in report
    log = docs["MIGRATION_LOG_WEEK1.md"]
    assert "- Current table count (staging): **52**" in log and "- Public tables: 52 before → 43 after" in log
    assert "DROP TABLE" in log  # the SQL that ran, from the journal's sql events
    assert "- Answer: **yes** (rehearsal answers)" in log
    update = docs["TEAM_UPDATE.txt"]
    assert "✅ 52 → 43 tables (9 unused tables removed; 5.4 final verification on production)" in update
    assert "- Friday: All 68 tables ready (43 existing + 25 new)" in update


def test_issues_met_are_followed_to_their_fix():
    report = render_all(JOURNAL, **FILES)["MIGRATION_WEEK1_FINAL_REPORT.md"]
    issues = report.split("## Issues Met and How They Were Resolved", 1)[1].split("\n## ", 1)[0]
    assert "`2.1.check_011` on sandbox-staging" in issues and "needs 'm011_plan'" in issues
    assert "`1.4.backup` on sandbox-staging" in issues and "72.0 h old" in issues
    assert issues.count("  - Resolved: passed at") == 2
    assert "Not resolved yet (optional: it did not stop the day)" in issues  # the Supabase CLI dry run


def test_final_verification_reads_like_psql():
    text = render_all(JOURNAL, **FILES)["VERIFICATION_RESULTS_FINAL.txt"]
    assert "Step 5.4.final_verification: FINAL_VERIFICATION.sql on production" in text
    assert " active_table_count \n--------------------\n                 43\n(1 row)\n" in text
    assert "(0 rows)" in text and "-- 2. Unused tables removed" in text
    assert "  [PASS] table count after 012 = production tables before 012 minus the tables 012 drops: 43 == 43" in text


def test_a_run_not_reached_says_not_run_yet(tmp_path: Path):
    docs = render_all(_prefix_until_tuesday(tmp_path), **FILES)
    assert "Task 5.4 (FINAL_VERIFICATION.sql on production): not run yet." in docs["VERIFICATION_RESULTS_FINAL.txt"]
    assert "These are NOT the final verification." in docs["VERIFICATION_RESULTS_FINAL.txt"]
    report = docs["MIGRATION_WEEK1_FINAL_REPORT.md"]
    assert "- Status: ⏳ IN PROGRESS: reached Tuesday" in report and "  - Thursday: not run yet" in report
    assert "- End: 43 tables (2.5 on staging)" in report
    assert "Production" not in report.split("## Data Loss Assessment", 1)[1].split("\n## ", 1)[0]
    assert "⏳ Full test suite: not run yet" in docs["TEAM_UPDATE.txt"]


def _rewrite(source: Path, target: Path, change) -> None:  # noqa: ANN001
    """A copy of the journal with one event changed and the chain re-linked (a consistent other run)."""
    prev = GENESIS
    out = []
    for line in source.read_bytes().split(b"\n")[:-1]:
        event = json.loads(line)
        change(event)
        event["prev"] = prev
        event["hash"] = event_hash(event)
        line = _canonical(event)
        prev = line_hash(line)
        out.append(line)
    target.write_bytes(b"\n".join(out) + b"\n")


def test_numbers_come_from_the_journal_not_the_template(tmp_path: Path):
    def baseline_60(event: dict) -> None:
        if event.get("type") == "step_finished" and event.get("step") == "1.6.table_count":
            event["result"]["data"]["scalar"] = 60
            event["result"]["data"]["rows"] = [{"total_tables": 60}]

    other = tmp_path / "other.jsonl"
    _rewrite(JOURNAL, other, baseline_60)
    docs = render_all(other, **FILES)
    assert "- Current table count (staging): **60**" in docs["MIGRATION_LOG_WEEK1.md"]
    assert "✅ 60 → 43 tables" in docs["TEAM_UPDATE.txt"]


def test_a_tampered_journal_is_flagged_in_every_markdown_document(tmp_path: Path):
    lines = JOURNAL.read_bytes().split(b"\n")
    lines[20] = lines[20].replace(b'"mono":', b'"mono":9', 1)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"\n".join(lines))
    docs = render_all(broken, **FILES)
    for name in ("MIGRATION_LOG_WEEK1.md", "MIGRATION_WEEK1_FINAL_REPORT.md"):
        assert "**WARNING: the journal's hash chain is broken**: event 20 (line 21) was edited" in docs[name]
    assert "Hash chain: BROKEN: event 20 (line 21) was edited" in docs["VERIFICATION_RESULTS_FINAL.txt"]


def test_shipped_week2_runbook_is_a_valid_runbook_and_feeds_the_checklist(tmp_path: Path):
    from wizard.runbook import load_runbook

    shipped = Path(__file__).resolve().parent.parent / "wizard" / "rehearsal" / "week2.toml"
    plan = load_runbook(shipped)
    assert [m[:3] for m in plan.facts["migrations"]] == ["013", "014", "015", "016", "017"]
    text = render_all(JOURNAL, runbook_path=FILES["runbook_path"], sql_dir=FILES["sql_dir"], week2_path=shipped)[
        "WEEK_2_DAILY_CHECKLIST.md"]
    assert "- [ ] 013_add_codex_positioning_campaigns.sql (Backend Dev 1)" in text
    assert "- Target by Friday: 43 existing + 25 new Codex tables = 68 tables" in text


def test_cli_export_writes_the_five_documents(tmp_path: Path, capsys):
    code = cli.main(["export", "--journal", str(JOURNAL), "--out", str(tmp_path / "docs")])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(NAMES)
    assert "wrote" in capsys.readouterr().out


def test_cli_export_without_a_journal_is_a_clear_error(tmp_path: Path, capsys):
    code = cli.main(["export", "--journal", str(tmp_path / "none.jsonl"), "--out", str(tmp_path)])
    assert code != 0 and "No journal at" in capsys.readouterr().err


def test_psql_layout_matches_real_psql(fresh_env, tmp_path: Path):
    """The aligned layout, checked against the psql shipped with the sandbox server.

    (A numeric keeps its value but not trailing zeros: the journal stores 1.50 as the JSON number 1.5.)
    """
    import asyncio

    from wizard import db
    from wizard.environments import connect
    from wizard.rehearsal import clusters as sandbox
    from wizard.exports.psql import aligned

    psql = Path(sandbox.tool("psql"))
    if not psql.exists():
        pytest.skip("no psql binary beside the sandbox server")
    queries = [
        "SELECT 'moves' AS table_name, COUNT(*) AS row_count FROM moves UNION ALL SELECT 'assets', COUNT(*) FROM assets",
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'agent_trust_scores' ORDER BY ordinal_position",
        "SELECT table_name FROM information_schema.tables WHERE table_name = 'no_such_table'",
        "SELECT 1.25::numeric AS price, NULL::text AS missing, true AS flag, 'two\nlines' AS note",
        "SELECT relname AS table_name, relrowsecurity AS rls_enabled FROM pg_class WHERE relname IN ('moves', 'assets') ORDER BY 1",
    ]

    async def ours() -> list[str]:
        conn = await connect(fresh_env)
        try:
            return [aligned((await db.run_query(conn, q)).to_data()) for q in queries]
        finally:
            await conn.close()

    info = fresh_env.conninfo
    for query, mine in zip(queries, asyncio.run(ours())):
        real = subprocess.run([str(psql), "-X", "-q", "-h", str(info["host"]), "-p", str(info["port"]), "-U", str(info["user"]),
                               "-d", str(info["dbname"]), "-P", "pager=off", "-c", query],
                              capture_output=True, text=True, check=True).stdout
        assert mine == real, f"{query}\n--- ours\n{mine}\n--- psql\n{real}"
