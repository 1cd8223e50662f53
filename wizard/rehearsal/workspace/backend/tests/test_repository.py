"""Request bodies the API accepts for the core tables (validated before any SQL runs)."""

import pytest

from app.repository import COLUMNS, Invalid, clean_body
from tests.fixtures.legacy_quests import LEGACY_EXPORT

MOVE = {"name": "Test Move", "cohort_id": "1b7e3a8c-2f4d-4c61-8a9e-0d5f6b7c8d9e"}


def test_a_move_body_is_cleaned():
    assert clean_body("moves", MOVE) == MOVE


def test_name_is_required():
    with pytest.raises(Invalid, match="name"):
        clean_body("moves", {"cohort_id": MOVE["cohort_id"]})


def test_ids_must_be_uuids():
    with pytest.raises(Invalid, match="sprint_id"):
        clean_body("moves", {"name": "x", "sprint_id": "..."})


def test_assets_default_to_copy():
    assert clean_body("assets", {"title": "Hero image"})["kind"] == "copy"


def test_retired_fields_are_refused():
    with pytest.raises(Invalid, match="unknown field"):
        clean_body("moves", LEGACY_EXPORT["row"])


def test_only_surviving_core_tables_are_served():
    assert sorted(COLUMNS) == ["assets", "campaigns", "cohorts", "moves"]
    assert all("workspace_id" in columns for columns in COLUMNS.values())
