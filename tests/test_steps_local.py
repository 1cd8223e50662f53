"""Step kinds that touch no database: code search, command (pytest), file check, attest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wizard.session import AnswersDialogue
from wizard.engine import Engine
from wizard.environments import Environment
from wizard.journal import Journal
from wizard.paths import sql_dir
from wizard.runbook.model import Day, Expectation, Runbook, Step, Task
from wizard.steps.attest import AnswerInvalid, validate

M012 = str(sql_dir() / "migrations" / "012_remove_unused_features.sql")
ENV = Environment("sandbox-staging", "sandbox", "staging", {})


def _run(tmp_path: Path, *steps: Step, answers=None, workspace: Path | None = None):
    import asyncio

    task = Task("1.2", "t", 1, "", tuple(steps), "monday")
    runbook = Runbook("t", "t.toml", {}, (Day("monday", "m", "", (task,)),))
    engine = Engine(runbook, ENV, Journal(tmp_path / "j.jsonl"), ask=AnswersDialogue(answers or {}).ask, workspace=workspace or tmp_path)
    return asyncio.run(engine.run_day("monday"))


def test_code_search_tables_come_from_the_parsed_migration(tmp_path):
    backend = tmp_path / "backend"
    (backend / "app").mkdir(parents=True)
    (backend / "app" / "moves.py").write_text("rows = db.table('moves').select('*')\n")
    (backend / "app" / "legacy.py").write_text("q = 'SELECT * FROM quests'\n")
    (backend / "tests").mkdir()
    (backend / "tests" / "fixture.py").write_text("LEGACY = 'quest_moves'\n")
    step = Step("1.2.refs", "code_search", "refs", "local", {"path": "{workspace}/backend", "tables_from": M012},
                (Expectation("match_count == 0", "no references"),))
    outcome = _run(tmp_path, step)
    data = outcome.results[0].data
    assert len(data["tables"]) == 9 and "quests" in data["tables"]
    assert data["match_count"] == 1 and data["matches"][0]["file"] == "app/legacy.py"
    assert outcome.results[0].status == "failed"
    include_tests = Step("1.2.all", "code_search", "refs", "local",
                        {"path": "{workspace}/backend", "tables_from": M012, "exclude_paths_containing": []})
    assert _run(tmp_path, include_tests).results[0].data["match_count"] == 2


def test_command_reads_pytest_and_compares_with_baseline(tmp_path):
    tests = tmp_path / "suite"
    tests.mkdir()
    (tests / "test_a.py").write_text("def test_ok():\n    pass\n\ndef test_old_failure():\n    assert False\n")
    base = Step("1.7.base", "command", "baseline", "local",
                {"argv": ["{python}", "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "suite"], "cwd": "{workspace}", "parse": "pytest"},
                (), "pytest_baseline")
    outcome = _run(tmp_path, base)
    data = outcome.results[0].data
    assert (data["passed"], data["failed"]) == (1, 1)
    (tests / "test_b.py").write_text("def test_new_failure():\n    assert False\n")
    again = Step("3.7.full", "command", "after", "local",
                 {"argv": ["{python}", "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "suite"], "cwd": "{workspace}",
                  "parse": "pytest", "baseline": "pytest_baseline"},
                 (Expectation("len(new_failures) == 0", "no new failures"),))
    result = _run(tmp_path, again).results[0]
    assert result.data["new_failures"] == ["suite/test_b.py::test_new_failure"]
    assert result.status == "failed"


def test_file_check_reads_a_migration(tmp_path):
    step = Step("2.1.f", "file_check", "012", "local", {"path": M012},
                (Expectation("exists and 100 <= lines <= 300", "about 200 lines"),))
    result = _run(tmp_path, step).results[0]
    assert result.ok, result.checks
    assert len(result.data["dropped_tables"]) == 9 and not result.data["has_transaction_control"]


def _attest(**params) -> Step:
    return Step("1.4.backup", "attest", "backup", "local", {"question": "When?", **params})


def test_backup_older_than_a_day_is_refused():
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone.utc)
    step = _attest(answer_type="timestamp", max_age_hours=24)
    with pytest.raises(AnswerInvalid, match="old"):
        validate(step, "2026-11-23 09:00Z", now=now)
    with pytest.raises(AnswerInvalid, match="not a date"):
        validate(step, "yesterday", now=now)
    with pytest.raises(AnswerInvalid, match="future"):
        validate(step, "2026-11-26 09:00Z", now=now)
    assert validate(step, "2026-11-25T02:00:00Z", now=now) == "2026-11-25T02:00:00+00:00"


def test_typed_confirmation_must_match_the_environment():
    step = _attest(answer_type="confirm", must_equal="{env.name}")
    with pytest.raises(AnswerInvalid):
        validate(step, "yes", env_name="production")
    assert validate(step, "production", env_name="production") == "production"


def test_a_choice_is_picked_by_its_number_key_or_start_and_recorded_whole():
    choices = ["now: business hours, minimal traffic", "later: a low-traffic window", "never"]
    step = _attest(answer_type="choice", choices=choices)
    assert validate(step, "now") == choices[0]
    assert validate(step, "LATER") == choices[1]
    assert validate(step, "2") == choices[1]
    assert validate(step, "nev") == "never"
    assert validate(step, choices[0]) == choices[0]
    for unclear in ("n", "4", "0", "soon"):  # "n" starts two choices; 4 and 0 are no choice's number
        with pytest.raises(AnswerInvalid, match="Choose one of"):
            validate(step, unclear)


def test_missing_answer_in_headless_mode_is_clear(tmp_path):
    result = _run(tmp_path, _attest(answer_type="text")).results[0]
    assert result.status == "error" and "--answers" in result.error and result.data["answer_missing"]
