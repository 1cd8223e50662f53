"""Session.migration_preview: a migration step's live preview on the session's environment, read
only, with the password the session already has (a preview never asks for one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_secrets import RIGHT, memory, notes, scram_role  # noqa: F401 - fixtures
from tui_fixtures import tiny_runbook
from wizard.errors import WizardError
from wizard.runbook.model import Step
from wizard.session import AnswersDialogue, Session

MIGRATION_012 = Path(__file__).resolve().parent.parent / "sql" / "migrations" / "012_remove_unused_features.sql"


def _steps() -> list[Step]:
    return [Step("9.1.count", "query", "Count the tables", "any", {"sql": "select count(*) from pg_tables"}),
            Step("9.1.apply_012", "migration", "Apply 012", "any", {"file": str(MIGRATION_012)})]


async def test_the_preview_of_012_reads_the_nine_tables_and_writes_nothing(fresh_env, tmp_path):
    runbook = tiny_runbook(tmp_path, _steps())
    session = Session(fresh_env, runbook, tmp_path / "journal.jsonl")
    journal = session.prepare()
    events = len(journal.events)
    preview = await session.migration_preview(runbook.step("9.1.apply_012"))
    assert preview["env"] == "sandbox-staging" and len(preview["sha256"]) == 64
    assert {d["table"]: d["rows"] for d in preview["drops"]} == {
        "public.quest_milestones": 4, "public.quest_moves": 5, "public.quests": 3, "public.maneuver_prerequisites": 3,
        "public.capability_nodes": 4, "public.notifications": 10, "public.move_decisions": 6, "public.quick_wins": 4,
        "public.cohort_relations": 3}
    assert [s["kind"] for s in preview["statements"]].count("drop table") == 9
    assert any(f["rule"] == "ban-drop-table" for f in preview["lint"])
    assert len(journal.events) == events  # a preview journals nothing
    with pytest.raises(WizardError, match="not a migration"):
        await session.migration_preview(runbook.step("9.1.count"))


async def test_a_profile_password_is_asked_once_by_the_run_and_reused_by_previews(clusters, memory, notes, tmp_path):  # noqa: F811
    with scram_role("pw_user", RIGHT) as env:
        runbook = tiny_runbook(tmp_path, _steps())
        session = Session(env, runbook, tmp_path / "journal.jsonl")
        session.prepare(prepare_env=False)
        migration = runbook.step("9.1.apply_012")
        with pytest.raises(WizardError, match="needs its password: running a step here asks for it once"):
            await session.migration_preview(migration)  # nothing stored, nobody asked
        asked: list[str] = []

        class Counting(AnswersDialogue):
            async def password(self, prompt: str) -> str | None:
                asked.append(prompt)
                return RIGHT

        outcome = await session.run("monday", step=(runbook.day("monday").tasks[0], runbook.step("9.1.count")),
                                    dialogue=Counting({}))
        assert outcome.ok, outcome.problem
        memory.store.clear()  # the keyring forgets it: the preview must use the session's own
        for _ in range(2):
            preview = await session.migration_preview(migration)
            assert len(preview["drops"]) == 9
        assert len(asked) == 1
