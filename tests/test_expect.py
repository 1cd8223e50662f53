"""Expectations are judged from data, safely, and say why they failed."""

import pytest

from wizard.expect import ExpectationError, MissingResult, judge, names_used


def test_derived_table_count():
    names = {"scalar": 43, "m012_apply": {"before": {"tables": [f"t{i}" for i in range(52)]}},
             "m012_plan": {"dropped_tables": [f"t{i}" for i in range(9)]}}
    verdict = judge("scalar == len(set(m012_apply.before.tables) - set(m012_plan.dropped_tables))", names)
    assert verdict.ok and verdict.evidence == "43 == 43"


def test_failure_shows_both_sides():
    verdict = judge("as_map(rows, 'table_name', 'row_count') == before", {
        "rows": [{"table_name": "moves", "row_count": 14}], "before": {"moves": 15}})
    assert not verdict.ok
    assert "{'moves': 14} == {'moves': 15}" == verdict.evidence


def test_missing_earlier_result_is_named():
    with pytest.raises(MissingResult) as err:
        judge("scalar == baseline.scalar", {"scalar": 1})
    assert err.value.name == "baseline"


@pytest.mark.parametrize("bad", ["__import__('os')", "open('x')", "(lambda: 1)()", "[x for x in rows]", "rows.__class__"])
def test_code_cannot_run(bad):
    with pytest.raises(ExpectationError):
        judge(bad, {"rows": []})


def test_names_used():
    assert names_used("scalar == len(baseline.rows) + facts.x") == {"scalar", "baseline", "facts"}
