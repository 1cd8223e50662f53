"""What the task screen shows of a migration's result: the proof's verdict table by table, the
locks it held, the catalogue difference and each statement's time, all from the recorded data."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from screens.present_migration import migration_blocks

RESULT_011 = json.loads((Path(__file__).parent / "data" / "migration_result_011.json").read_text())


def _tables(blocks):
    return {b.title.split(":")[0]: b.data for b in blocks if b.kind == "table"}


def test_a_passed_migration_shows_its_proof_catalogue_and_statements():
    blocks = migration_blocks(RESULT_011)
    texts = [b.text for b in blocks if b.kind == "text"]
    assert any(t.startswith("✓ No data lost: 52 tables") and "2 fingerprinted again" in t for t in texts)
    assert any(t.startswith("Locks: ACCESS EXCLUSIVE up front on 3 tables") and "to the commit" in t for t in texts)
    tables = _tables(blocks)
    proof = tables["zero-data-loss proof"]["rows"]
    assert len(proof) == len(RESULT_011["fingerprints_before"]) == 53  # auth.users too
    first = {r["table"]: r["verdict"] for r in proof[:2]}
    assert first == {"public.agent_recommendations": "not compared: the file drops it",  # as recorded then
                     "public.agent_trust_scores": "✓ kept, on all but workspace_id"}
    moves = next(r for r in proof if r["table"] == "public.moves")
    assert moves["rows before"] == moves["rows after"] == 15 and moves["fingerprint before"] == moves["fingerprint after"]
    catalogue = tables["catalogue difference"]["rows"]
    assert {"change": "added", "object": "policy", "name": "agent_recommendations_workspace_members on "
            "public.agent_recommendations"} in catalogue
    assert len(catalogue) == sum(len(v) for c in ("added", "removed", "changed")
                                 for v in RESULT_011["catalog_diff"][c].values())
    assert [r["#"] for r in tables["statements"]["rows"]] == [t["index"] for t in RESULT_011["statement_times"]]


def test_a_row_lost_is_named_first_with_its_counts():
    data = copy.deepcopy(RESULT_011)
    data["fingerprints_after"]["public.moves"] = {**data["fingerprints_after"]["public.moves"], "rows": 14}
    data["data_loss"].update(ok=False, tables_changed=["public.moves"], changes=[
        {"table": "public.moves", "rows_before": 15, "rows_after": 14, "what": "rows removed"}])
    data["rolled_back"] = True
    blocks = migration_blocks(data)
    texts = [b.text for b in blocks if b.kind == "text"]
    assert "✗ public.moves: rows removed (15 → 14)" in texts
    assert any("to the rollback" in t for t in texts)
    first = _tables(blocks)["zero-data-loss proof"]["rows"][0]
    assert first["table"] == "public.moves" and first["verdict"] == "✗ rows removed" and first["rows after"] == 14
