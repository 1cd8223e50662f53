"""The week's documents say what the runbook's [report] declares, and nothing of another week.

Week 2's Monday is run for real on the sandbox (its checks fail there: the sandbox is at Week 1's
start), and its documents are read for Week 1's names; a runbook without application checks gets
no application verdict; the loader words a bad [report] with file:line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wizard.engine import Engine
from wizard.environments import sandbox_environment
from wizard.errors import RunbookError
from wizard.exports import render_all
from wizard.journal import Journal
from wizard.runbook import load_runbook
from wizard.session import AnswersDialogue

ROOT = Path(__file__).resolve().parent.parent
WEEK2 = ROOT / "wizard" / "rehearsal" / "week2.toml"
GOLDEN = ROOT / "tests" / "golden"
# Week 2's own runbook speaks of "the Week 1 end state": the week's words, not the exports'.
WEEK1_NAMES = ["quests", "quick_wins", "3 total", "RaptorBus", "Schema Conflicts", "agent_recommendations",
               "Monday Baseline", "WEEK 1", "WEEK1", "endpoint", "FINAL_VERIFICATION.sql"]


@pytest.fixture
async def week2_journal(clusters, tmp_path: Path) -> Path:
    journal = tmp_path / "week2.jsonl"
    engine = Engine(load_runbook(WEEK2), sandbox_environment("sandbox-staging"), Journal(journal),
                    ask=AnswersDialogue({}).ask)
    await engine.run_day("monday")
    return journal


async def test_week2_documents_name_week2_and_nothing_of_week1(week2_journal: Path):
    docs = render_all(week2_journal, runbook_path=WEEK2)
    assert sorted(docs) == ["MIGRATION_LOG_WEEK2.md", "MIGRATION_WEEK2_FINAL_REPORT.md", "TEAM_UPDATE_WEEK2.txt",
                            "VERIFICATION_RESULTS_WEEK2_FINAL.txt"]  # week2.toml names no next week: no checklist
    # The sandbox's socket folder is this machine's (its name may be a hash holding "011"), not the documents' words.
    socket = str(sandbox_environment("sandbox-staging").conninfo["host"])
    for name, text in docs.items():
        for word in WEEK1_NAMES:
            assert word not in text, f"{name} says {word!r}"
        # Week 1's migrations as numbers on their own (a server's random identifier may hold "011")
        prose = text.replace(socket, "<socket folder>")
        assert not re.search(r"(?<!\d)01[12](?!\d)", prose), f"{name} names migration 011 or 012"
        assert "Application" not in text, name  # Week 2 declares no application checks
    report = docs["MIGRATION_WEEK2_FINAL_REPORT.md"]
    assert report.startswith("# WEEK 2 MIGRATION - FINAL REPORT")
    assert "## Codex Schema Created (2 total)" in report
    assert "- Codex tables on production: not run yet" in report  # its steps did not run: never ✅
    assert "## Removed Tables" not in report and "names no next week's runbook" in report
    assert "- Week 2:" not in report
    assert re.search(r"^- Start: Monday \(\d+ tables on sandbox-staging, measured by 1\.1\)$", report, re.M)
    team = docs["TEAM_UPDATE_WEEK2.txt"]
    assert "WEEK 2 CODEX SCHEMA CREATION - " in team and "MIGRATION_WEEK2_FINAL_REPORT.md" in team
    assert "⏳ Codex schema (013-017): not run yet" in team and "NEXT:" not in team
    assert docs["VERIFICATION_RESULTS_WEEK2_FINAL.txt"].startswith(
        "VERIFICATION RESULTS - FINAL (Week 2, task 5.1: every Codex table secured, on production)")


def _without(text: str, table: str) -> str:
    """The runbook text without one [report.…] table (up to the next table header)."""
    return re.sub(rf"^\[{re.escape(table)}\]\n(?:(?!\[).*\n)*", "", text, flags=re.M)


def test_no_application_checks_declared_no_application_verdict(tmp_path: Path):
    runbook = tmp_path / "week1.toml"
    runbook.write_text(_without((GOLDEN / "week1.toml").read_text(), "report.application"))
    (tmp_path / "week2.toml").write_bytes((GOLDEN / "week2.toml").read_bytes())
    docs = render_all(GOLDEN / "journal.jsonl", runbook_path=runbook, sql_dir=GOLDEN / "sql")
    assert "WEEK_2_DAILY_CHECKLIST.md" in docs  # the next week named beside it
    assert not re.search(r"Application.*✅", docs["MIGRATION_WEEK1_FINAL_REPORT.md"])
    assert "- Application:" not in docs["MIGRATION_WEEK1_FINAL_REPORT.md"]
    assert "Application" not in docs["TEAM_UPDATE.txt"]


def test_no_next_week_named_no_checklist(tmp_path: Path):
    runbook = tmp_path / "week1.toml"
    runbook.write_text(re.sub(r'^runbook = "week2.toml".*\n', "", (GOLDEN / "week1.toml").read_text(), flags=re.M))
    docs = render_all(GOLDEN / "journal.jsonl", runbook_path=runbook, sql_dir=GOLDEN / "sql")
    assert "WEEK_2_DAILY_CHECKLIST.md" not in docs
    assert "- None named: this runbook names no next week's runbook" in docs["MIGRATION_WEEK1_FINAL_REPORT.md"]
    assert "NEXT:" not in docs["TEAM_UPDATE.txt"]


@pytest.mark.parametrize(("report", "error"), [
    ('[report]\nweeks = 2\n', r":\d+: report\.weeks: unknown key 'weeks'"),
    ('[report]\nstart = "nowhere"\n', r":\d+: report\.start: 'nowhere' is not the save_as of any step"),
    ('[report]\nload_test = "9.9.nothing"\n', r":\d+: report\.load_test: no step '9\.9\.nothing'"),
    ('[report.application]\ntasks = ["9.9"]\n', r":\d+: report\.application\.tasks: no task '9\.9'"),
    ('[report]\nend = [{ fact = "baseline", where = 3 }]\n', r":\d+: report\.end\[0\]\.where: Expected `str`"),
    ('[report.checks]\ntitle = "x"\n', r":\d+: report\.checks\.items: 'items' is missing"),
])
def test_a_bad_report_is_worded_with_file_and_line(tmp_path: Path, report: str, error: str):
    text = _without((GOLDEN / "week1.toml").read_text(), "report")
    for table in ("report.removal", "report.checks", "report.data_loss", "report.application", "report.baseline",
                  "report.final_queries", "report.next"):
        text = _without(text, table)
    path = tmp_path / "week1.toml"
    path.write_text(text + report)
    with pytest.raises(RunbookError, match=rf"week1\.toml{error}"):
        load_runbook(path)
