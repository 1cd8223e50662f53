"""The runbook loader: the shipped week1.toml, and clear errors for malformed runbooks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from wizard import expect
from wizard.errors import RunbookError
from wizard.results import Check, StepResult
from wizard.runbook.loader import default_runbook_path, load_runbook
from wizard.runbook.model import Runbook
from wizard.steps import KINDS, STEP_KINDS
from wizard.troubleshoot import advice_for

ROOT = Path(__file__).resolve().parents[1]

EXPECTED_TASKS = (
    [f"1.{n}" for n in range(1, 8)]
    + [f"2.{n}" for n in range(1, 7)]
    + [f"3.{n}" for n in range(1, 8)]
    + [f"4.{n}" for n in range(1, 8)]
    + [f"5.{n}" for n in range(1, 8)]
)

# What each kind's result must offer an expectation (from the runbook brief); the kinds declare
# at least these (test_declared_results_cover_the_brief).
RESULT_NAMES = {
    "query": {"rows", "row_count", "scalar", "columns", "column_types", "shown_rows", "queries",
              "query_count"},
    "migration": {"sha256", "statements", "before", "after", "tables_removed", "tables_added",
                  "changed", "schema_changed", "rolled_back", "notices", "planned_drops", "lines"},
    "code_search": {"match_count", "matches", "tables", "by_table", "files_scanned"},
    "command": {"exit_code", "passed", "failed", "errors", "skipped", "new_failures", "failed_ids",
                "total"},
    "file_check": {"exists", "lines", "sha256", "dropped_tables", "created_tables",
                   "altered_tables", "cascade_drops", "statements", "has_transaction_control"},
    "attest": {"answer", "confirmed"},
    "service": {"name", "pid", "host", "port", "base_url", "startup_s", "ready_status_code", "first_lines",
                "output_seen", "missing_output", "env_set", "redis"},
    "http": {"method", "url", "status", "reason", "elapsed_ms", "json", "body_text", "headers"},
    "load": {"requests", "concurrency", "completed", "failed", "non_2xx", "status_counts", "requests_per_s",
             "total_s", "mean_ms", "min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "histogram"},
    "monitor": {"lines_seen", "counts", "match_count", "matches", "blocked_max", "waiting_locks_max",
                "deadlocks", "samples", "elapsed_s"},
    "backup": {"path", "size", "sha256", "taken_at", "pg_dump_version", "server_version", "database", "seconds"},
    "restore": {"mode", "source", "restored", "rows", "archived_rows", "foreign_keys_restored",
                "foreign_keys_not_restored", "table_count", "pg_restore_version", "seconds"},
}
FUNCTIONS = {"len", "set", "sorted", "min", "max", "sum", "column", "as_map"}
PLACEHOLDERS = {"migrations", "sql", "workspace", "python", "env.name",
                "port"}  # {port}: the service step's own, the port it picked


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


# --------------------------------------------------------------------------------------
# The shipped runbook
# --------------------------------------------------------------------------------------


def test_default_path_is_beside_the_loader() -> None:
    path = default_runbook_path()
    assert path.name == "week1.toml"
    assert path.parent == Path(__file__).resolve().parents[1] / "wizard" / "runbook"
    assert path.is_file()


def test_shipped_runbook_loads(runbook: Runbook) -> None:
    assert runbook.title
    assert runbook.path == str(default_runbook_path())
    assert [d.id for d in runbook.days] == ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert runbook.facts["baseline_tables"] == 52
    assert runbook.facts["core_tables"] == ["moves", "cohorts", "campaigns", "assets"]
    assert runbook.facts["pytest_baseline_count"] == 22


def test_every_task_in_order(runbook: Runbook) -> None:
    assert [t.id for t in runbook.tasks()] == EXPECTED_TASKS
    for day in runbook.days:
        for task in day.tasks:
            assert task.day_id == day.id
            assert task.estimate_minutes > 0
            assert task.instructions.strip()
            assert task.steps, f"task {task.id} has no step"


def test_step_ids_and_save_as_unique(runbook: Runbook) -> None:
    ids = [s.id for s in runbook.steps()]
    assert len(ids) == len(set(ids))
    names = [s.save_as for s in runbook.steps() if s.save_as]
    assert len(names) == len(set(names))
    for task in runbook.tasks():
        for step in task.steps:
            assert step.id.startswith(task.id + ".")
            assert step.kind in STEP_KINDS


def test_every_expectation_parses(runbook: Runbook) -> None:
    for step in runbook.steps():
        for expectation in step.expect:
            ast.parse(expectation.check, mode="eval")
            assert expectation.describe


def _int_literals(check: str) -> list[int]:
    tree = ast.parse(check, mode="eval")
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ]


def test_int_literal_helper() -> None:
    assert _int_literals("scalar == 43") == [43]
    assert _int_literals("row_count == 0 and not changed") == [0]
    assert _int_literals("scalar == facts.baseline_tables") == []


def test_no_magic_numbers_in_database_expectations(runbook: Runbook) -> None:
    offenders = [
        (step.id, e.check)
        for step in runbook.steps()
        if step.kind in ("migration", "query")
        for e in step.expect
        if any(value != 0 for value in _int_literals(e.check))
    ]
    assert offenders == []


def test_expectations_only_use_known_names(runbook: Runbook) -> None:
    """Each name is the step's own result, an EARLIER step's save_as, facts, or a helper."""
    saved: set[str] = set()
    for step in runbook.steps():
        own = {field.name for field in KINDS[step.kind].results}
        for e in step.expect:
            tree = ast.parse(e.check, mode="eval")
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id not in ("True", "False", "None"):
                    assert node.id in own | saved | FUNCTIONS | {"facts"}, (step.id, node.id)
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                        and node.value.id == "facts"):
                    assert node.attr in runbook.facts, (step.id, node.attr)
        if step.save_as:
            saved.add(step.save_as)


def test_placeholders_are_known(runbook: Runbook) -> None:
    def strings(value: object):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)

    for step in runbook.steps():
        params = {k: v for k, v in step.params.items() if k != "patterns"}
        for text in strings(params):
            for name in re.findall(r"\{([a-z_][a-z_.]*)\}", text):
                assert name in PLACEHOLDERS, (step.id, name)
        for pattern in step.params.get("patterns", []):
            assert "{table}" in pattern, (step.id, pattern)


def test_key_steps_and_targets(runbook: Runbook) -> None:
    by_name = {s.save_as: s for s in runbook.steps() if s.save_as}
    for name, kind, target in [
        ("m011_plan", "file_check", "local"),
        ("m012_plan", "file_check", "local"),
        ("backup", "attest", "local"),
        ("baseline", "query", "staging"),
        ("baseline_core", "query", "staging"),
        ("pytest_baseline", "command", "local"),
        ("m011_apply", "migration", "staging"),
        ("m012_apply", "migration", "staging"),
        ("prod_m011_apply", "migration", "production"),
        ("prod_m012_apply", "migration", "production"),
        ("final_verification", "query", "production"),
    ]:
        assert by_name[name].kind == kind, name
        assert by_name[name].target == target, name
    for task_id in ("4.4", "4.5", "4.7", "5.4"):
        for step in runbook.task(task_id).steps:
            assert step.target == "production", step.id
    for step in runbook.steps():
        if step.kind in ("code_search", "file_check"):
            assert step.target == "local", step.id
    assert by_name["backup"].params["max_age_hours"] == runbook.facts["backup_max_age_hours"]
    assert "baseline_tables" in by_name["baseline"].expect[0].check


def test_troubleshooting_rollback_next_week(runbook: Runbook) -> None:
    troubles = runbook.troubleshooting
    samples = [
        'relation "agent_recommendations" already exists',
        'column "workspace_id" of relation "agent_trust_scores" already exists',
        "cannot drop table quests because other objects depend on it",
        'table "quest_moves" does not exist',
        'relation "moves" does not exist',
        "connection refused",
        "table count 52",
        "table count 42",
    ]
    for text in samples:
        assert any(re.search(t.pattern, text) for t in troubles), text
    task_ids = {t.id for t in runbook.tasks()}
    for trouble in troubles:
        assert set(trouble.applies_to) <= task_ids
    assert len(runbook.rollback) == 3
    assert all(option.steps and option.estimate for option in runbook.rollback)
    assert len(runbook.next_week["migrations"]) == 5


# --------------------------------------------------------------------------------------
# Malformed runbooks
# --------------------------------------------------------------------------------------

VALID = '''\
title = "Tiny"

[facts]
baseline_tables = 52

[[days]]
id = "monday"
title = "Monday"
summary = "One day."

[[days.tasks]]
id = "1.1"
title = "Count tables"
estimate_minutes = 15
instructions = """
Run the count.
"""

[[days.tasks.steps]]
id = "1.1.count"
kind = "query"
title = "Count"
target = "staging"
save_as = "baseline"
sql = "SELECT 1"
expect = ["scalar == facts.baseline_tables", { check = "row_count > 0", describe = "a row" }]

[[days.tasks.steps]]
id = "1.1.tests"
kind = "command"
title = "Tests"
target = "local"
argv = ["{python}", "-m", "pytest"]

[[troubleshooting]]
pattern = "connection refused"
problem = "Server down"
advice = "Wait and retry."
applies_to = ["1.1"]
'''


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runbook.toml"
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str) -> RunbookError:
    path = _write(tmp_path, text)
    with pytest.raises(RunbookError) as info:
        load_runbook(path)
    message = str(info.value)
    assert "Traceback" not in message
    assert message.startswith(str(path))
    assert info.value.fix
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_valid_snippet_loads(tmp_path: Path) -> None:
    runbook = load_runbook(_write(tmp_path, VALID))
    step = runbook.step("1.1.count")
    assert step.params == {"sql": "SELECT 1"}
    assert step.save_as == "baseline"
    assert [e.describe for e in step.expect] == ["scalar == facts.baseline_tables", "a row"]
    assert runbook.tasks()[0].day_id == "monday"
    assert runbook.troubleshooting[0].applies_to == ("1.1",)


def test_toml_syntax_error(tmp_path: Path) -> None:
    text = VALID.replace('title = "Count tables"', 'title = "Count tables')
    err = _error(tmp_path, text)
    line = _line_of(text, 'title = "Count tables')
    assert err.what.startswith(f"{tmp_path / 'runbook.toml'}:{line}:")
    assert re.match(rf".*:{line}:\d+: TOML syntax error: ", err.what)
    assert "(at line" not in err.what


def test_unknown_kind(tmp_path: Path) -> None:
    text = VALID.replace('kind = "query"', 'kind = "qurey"')
    err = _error(tmp_path, text)
    line = _line_of(text, 'kind = "qurey"')
    assert err.what == (
        f"{tmp_path / 'runbook.toml'}:{line}: days[0].tasks[0].steps[0].kind: "
        "kind 'qurey' is not a step kind"
    )
    assert "query, migration" in err.fix


def test_missing_required_param(tmp_path: Path) -> None:
    text = VALID.replace('argv = ["{python}", "-m", "pytest"]\n', "")
    err = _error(tmp_path, text)
    line = _line_of(text, 'id = "1.1.tests"') - 1  # the step's table header
    assert f":{line}: days[0].tasks[0].steps[1].argv: " in err.what
    assert "argv" in err.fix


def test_query_needs_sql_or_sql_file(tmp_path: Path) -> None:
    text = VALID.replace('sql = "SELECT 1"', 'sql = "SELECT 1"\nsql_file = "{sql}/x.sql"')
    err = _error(tmp_path, text)
    assert "days[0].tasks[0].steps[0].sql: " in err.what
    assert "exactly one" in err.what


def test_duplicate_task_id(tmp_path: Path) -> None:
    text = VALID.replace(
        "[[days.tasks.steps]]\nid = \"1.1.tests\"",
        '[[days.tasks]]\nid = "1.1"\ntitle = "Again"\nestimate_minutes = 5\ninstructions = "x"\n\n'
        "[[days.tasks.steps]]\nid = \"1.1.tests\"",
    )
    err = _error(tmp_path, text)
    line = _line_of(text, 'title = "Again"') - 1
    assert f":{line}: days[0].tasks[1].id: duplicate task id '1.1'" in err.what


def test_task_id_must_match_day(tmp_path: Path) -> None:
    err = _error(tmp_path, VALID.replace('id = "1.1"', 'id = "2.1"'))
    assert "days[0].tasks[0].id: task id '2.1' belongs to day 2" in err.what


def test_bad_regex(tmp_path: Path) -> None:
    text = VALID.replace('pattern = "connection refused"', 'pattern = "connection (refused"')
    err = _error(tmp_path, text)
    line = _line_of(text, "pattern = ")
    assert f":{line}: troubleshooting[0].pattern: " in err.what
    assert "not a valid regular expression" in err.what


def test_bad_code_search_pattern(tmp_path: Path) -> None:
    text = VALID.replace(
        'argv = ["{python}", "-m", "pytest"]',
        'argv = ["x"]\n\n[[days.tasks.steps]]\nid = "1.1.grep"\nkind = "code_search"\n'
        'title = "Grep"\ntarget = "local"\npath = "{workspace}/backend"\n'
        "tables_from = \"{migrations}/012.sql\"\npatterns = ['\\b{table}(']",
    )
    err = _error(tmp_path, text)
    line = _line_of(text, "patterns = ")
    assert f":{line}: days[0].tasks[0].steps[2].patterns[0]: " in err.what


def test_unknown_param_key(tmp_path: Path) -> None:
    text = VALID.replace('sql = "SELECT 1"', 'sql = "SELECT 1"\nmax_row = 5')
    err = _error(tmp_path, text)
    line = _line_of(text, "max_row = 5")
    assert err.what == (
        f"{tmp_path / 'runbook.toml'}:{line}: days[0].tasks[0].steps[0].max_row: "
        "unknown key 'max_row' for a query step"
    )
    assert "max_rows" in err.fix and "sql_file" in err.fix


def test_param_type_checked(tmp_path: Path) -> None:
    err = _error(tmp_path, VALID.replace('sql = "SELECT 1"', 'sql = "SELECT 1"\nmax_rows = "5"'))
    assert "days[0].tasks[0].steps[0].max_rows: expected an integer, got a string" in err.what


def test_unknown_troubleshooting_task(tmp_path: Path) -> None:
    err = _error(tmp_path, VALID.replace('applies_to = ["1.1"]', 'applies_to = ["9.9"]'))
    assert "troubleshooting[0].applies_to[0]: no task has id '9.9'" in err.what


def test_duplicate_save_as(tmp_path: Path) -> None:
    err = _error(tmp_path, VALID.replace('argv = ["{python}"', 'save_as = "baseline"\nargv = ["{python}"'))
    assert "days[0].tasks[0].steps[1].save_as: save_as 'baseline' is already used" in err.what


def test_step_id_prefix(tmp_path: Path) -> None:
    err = _error(tmp_path, VALID.replace('id = "1.1.tests"', 'id = "1.2.tests"'))
    assert "days[0].tasks[0].steps[1].id: step id '1.2.tests' must be '1.1'" in err.what


def test_bad_expectation(tmp_path: Path) -> None:
    err = _error(tmp_path, VALID.replace('"scalar == facts.baseline_tables"', '"scalar =="'))
    assert "days[0].tasks[0].steps[0].expect[0]: " in err.what


def test_baseline_must_be_earlier_command(tmp_path: Path) -> None:
    text = VALID.replace('argv = ["{python}"', 'baseline = "baseline"\nargv = ["{python}"')
    err = _error(tmp_path, text)
    assert "days[0].tasks[0].steps[1].baseline: baseline 'baseline' is saved by a query step" in err.what


def test_attest_rules(tmp_path: Path) -> None:
    text = VALID.replace(
        'argv = ["{python}", "-m", "pytest"]',
        'argv = ["x"]\n\n[[days.tasks.steps]]\nid = "1.1.ask"\nkind = "attest"\ntitle = "Ask"\n'
        'target = "local"\nquestion = "When?"\nanswer_type = "confirm"\nmax_age_hours = 24',
    )
    err = _error(tmp_path, text)
    assert "days[0].tasks[0].steps[2].max_age_hours: only applies to" in err.what
    err = _error(tmp_path, text.replace('"confirm"', '"date"'))
    assert "answer_type 'date' is not supported" in err.what


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RunbookError) as info:
        load_runbook(tmp_path / "nope.toml")
    assert "not found" in str(info.value)


def test_unknown_day_and_missing_title(tmp_path: Path) -> None:
    err = _error(tmp_path, VALID.replace('id = "monday"', 'id = "funday"'))
    assert "days[0].id: day id 'funday' is not a weekday" in err.what
    err = _error(tmp_path, VALID.replace('title = "Tiny"\n', ""))
    assert err.what.endswith("title: is missing")


# --------------------------------------------------------------------------------------
# Application-check kinds: their parameters are validated like the others'
# --------------------------------------------------------------------------------------


def _with_step(kind: str, params: str) -> str:
    """VALID with a third step of `kind` whose parameters are `params` (TOML lines)."""
    return VALID.replace(
        'argv = ["{python}", "-m", "pytest"]\n',
        'argv = ["{python}", "-m", "pytest"]\n\n[[days.tasks.steps]]\nid = "1.1.app"\n'
        f'kind = "{kind}"\ntitle = "App check"\ntarget = "staging"\n{params}\n',
    )


APP_STEPS = {
    "service": 'argv = ["{python}", "-m", "uvicorn", "main:app", "--port", "{port}"]',
    "http": 'service = "backend"\npath = "/health"',
    "load": 'service = "backend"\npath = "/api/v1/campaigns"\nrequests = 100',
    "monitor": 'service = "backend"\nduration_s = 1800',
}


@pytest.mark.parametrize("kind", APP_STEPS)
def test_app_check_step_loads(tmp_path: Path, kind: str) -> None:
    step = load_runbook(_write(tmp_path, _with_step(kind, APP_STEPS[kind]))).step("1.1.app")
    assert step.kind == kind
    assert KINDS[kind].read(step) == KINDS[kind].convert(step.params)


@pytest.mark.parametrize("kind, line, key, what", [
    ("service", 'start_timeout_s = "10"', "start_timeout_s", "expected a number, got a string"),
    ("http", 'timeout_s = "5"', "timeout_s", "expected a number, got a string"),
    ("load", 'concurrency = "10"', "concurrency", "expected an integer, got a string"),
    ("monitor", "from_start = 1", "from_start", "expected true or false, got an integer"),
])
def test_app_check_param_type_refused(tmp_path: Path, kind: str, line: str, key: str, what: str) -> None:
    text = _with_step(kind, f"{APP_STEPS[kind]}\n{line}")
    err = _error(tmp_path, text)
    assert err.what == (f"{tmp_path / 'runbook.toml'}:{_line_of(text, line)}: "
                        f"days[0].tasks[0].steps[2].{key}: {what}")
    assert f"{key} = " in err.fix


@pytest.mark.parametrize("kind, line, key, allowed", [
    ("service", "start_timeout = 10", "start_timeout", "start_timeout_s"),
    ("http", 'paht = "/health"', "paht", "path_from"),
    ("load", "concurency = 10", "concurency", "concurrency"),
    ("monitor", 'pattern = ["ERROR"]', "pattern", "patterns"),
])
def test_app_check_unknown_param_refused(tmp_path: Path, kind: str, line: str, key: str, allowed: str) -> None:
    text = _with_step(kind, f"{APP_STEPS[kind]}\n{line}")
    err = _error(tmp_path, text)
    assert err.what == (f"{tmp_path / 'runbook.toml'}:{_line_of(text, line)}: "
                        f"days[0].tasks[0].steps[2].{key}: unknown key {key!r} for a {kind} step")
    assert f"Allowed keys for {kind}: id, kind, title" in err.fix and allowed in err.fix


@pytest.mark.parametrize("kind, params, needle, key, what", [
    ("service", 'argv = ["uvicorn", 8000]', "8000", "argv[1]", "expected a string, got an integer"),
    ("service", 'argv = ["uvicorn"]\nready_status = "3xx"', "ready_status", "ready_status",
     "ready_status '3xx' is not supported"),
    ("service", 'argv = ["uvicorn"]\nenv = { PORT = 8000 }', "env = ", "env", "expected a table of strings"),
    ("service", 'name = "backend"', 'id = "1.1.app"', "argv", "a service step needs 'argv'"),
    ("load", 'service = "backend"\nconcurrency = 0', "concurrency", "concurrency", "must be a positive integer"),
    ("http", 'path = "/health"', 'id = "1.1.app"', "url", "needs url, or service and path"),
    ("monitor", "duration_s = 5", 'id = "1.1.app"', "service",
     'a monitor step needs service, file or source = "database_log"'),
    ("monitor", 'service = "backend"\npatterns = ["re:deadlock (detected"]', "patterns", "patterns[0]",
     "is not a valid regular expression"),
])
def test_app_check_param_rules(tmp_path: Path, kind: str, params: str, needle: str, key: str, what: str) -> None:
    text = _with_step(kind, params)
    err = _error(tmp_path, text)
    line = _line_of(text, needle) - (1 if needle.startswith("id = ") else 0)  # the step's header
    assert err.what.startswith(f"{tmp_path / 'runbook.toml'}:{line}: days[0].tasks[0].steps[2].{key}: ")
    assert what in err.what


def test_migration_duration_and_mode(tmp_path: Path) -> None:
    text = _with_step("migration", 'file = "{migrations}/011.sql"\nlock_timeout = "5 seconds"')
    err = _error(tmp_path, text)
    assert f":{_line_of(text, 'lock_timeout')}: days[0].tasks[0].steps[2].lock_timeout: " in err.what
    assert "'5 seconds' is not a PostgreSQL duration" in err.what and 'lock_timeout = "5s"' in err.fix
    err = _error(tmp_path, _with_step("migration", 'file = "x.sql"\nmode = "apply_now"'))
    assert "mode 'apply_now' is not supported" in err.what and '"dry_run"' in err.fix


@pytest.mark.parametrize("path", [
    default_runbook_path(),
    ROOT / "wizard" / "rehearsal" / "week2.toml",
    *sorted((ROOT / "tests" / "golden").glob("*.toml")),
    *sorted((ROOT / "tests" / "data").glob("*.toml")),
], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_runbook_loads(path: Path) -> None:
    assert load_runbook(path).steps()


# --------------------------------------------------------------------------------------
# The kinds declare themselves
# --------------------------------------------------------------------------------------


def _step_modules() -> dict[str, object]:
    import importlib

    return {path.stem: importlib.import_module(f"wizard.steps.{path.stem}")
            for path in sorted((ROOT / "wizard" / "steps").glob("*.py")) if path.stem != "__init__"}


def test_every_kind_module_declares_itself() -> None:
    from wizard.steps import module_for, needs_database
    from wizard.steps.base import Params, StepKind, StepModule

    kinds = {name: module for name, module in _step_modules().items() if hasattr(module, "run")}
    assert set(kinds) == set(RESULT_NAMES)
    for name, module in kinds.items():
        assert isinstance(module, StepModule), name
        declaration = module.KIND
        assert isinstance(declaration, StepKind) and declaration.name == name
        assert issubclass(declaration.params, Params)
        assert declaration.description.strip() and "\n" not in declaration.description
        assert declaration.results, name
        assert module_for(name) is module
    assert {name for name in STEP_KINDS if needs_database(name)} == {"query", "migration", "backup", "restore"}
    assert {name for name, kind in KINDS.items() if kind.writes} == {"migration", "service", "restore"}


def test_step_kinds_are_derived_from_the_modules() -> None:
    import wizard.runbook.model as model

    declared = sorted((m.KIND for m in _step_modules().values() if hasattr(m, "KIND")), key=lambda k: k.rank)
    assert STEP_KINDS == tuple(kind.name for kind in declared)
    assert STEP_KINDS[:2] == ("query", "migration")  # the order error hints list them in
    assert not hasattr(model, "STEP_KINDS")


def test_declared_results_cover_the_brief() -> None:
    for kind, names in RESULT_NAMES.items():
        assert names <= {field.name for field in KINDS[kind].results}, kind


def test_declarations_import_cheaply() -> None:
    """Loading a runbook imports every kind's module, so none may import psycopg, pglast or aiohttp."""
    import subprocess
    import sys

    code = ("import sys; from wizard.runbook import load_runbook; load_runbook(); "
            "print(sorted(m for m in ('psycopg', 'pglast', 'aiohttp', 'wizard.rehearsal.clusters') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_warm_up_covers_what_the_kinds_import_when_they_run() -> None:
    """Every import inside a kind's functions is listed in some kind's runtime_imports (warm_up loads them)."""
    import importlib

    warmed = {name for kind in KINDS.values() for name in kind.runtime_imports}
    for name, module in _step_modules().items():
        if not hasattr(module, "KIND"):
            continue
        tree = ast.parse((ROOT / "wizard" / "steps" / f"{name}.py").read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    imported = {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    parent = importlib.import_module(node.module)
                    # `from wizard import db` imports wizard.db; `from psycopg import sql`, psycopg
                    imported = {f"{node.module}.{alias.name}" if hasattr(parent, "__path__")
                                and importlib.util.find_spec(f"{node.module}.{alias.name}") else node.module
                                for alias in node.names}
                else:
                    continue
                # a package warmed brings its submodules (psycopg.sql with psycopg)
                missing = {m for m in imported if not m.startswith("wizard.steps")
                           and not any(m == w or m.startswith(w + ".") for w in warmed)}
                assert not missing, (name, missing)


def test_runbooks_doc_matches_the_declarations() -> None:
    from wizard.runbook.reference import DOC_PATH, with_reference

    text = DOC_PATH.read_text()
    assert text == with_reference(text), "docs/RUNBOOKS.md is out of date: run python -m wizard.runbook.reference"
    for kind in STEP_KINDS:
        assert f"### `{kind}`" in text


# --------------------------------------------------------------------------------------
# The shipped expectations evaluated with the real engine pieces
# --------------------------------------------------------------------------------------

def _happy_week(runbook: Runbook) -> dict[str, dict]:
    """Plausible results for every step of a week that went as the runbook says."""
    facts = runbook.facts
    removed = list(facts["removed_tables"])
    others = [f"table_{i:02d}" for i in range(facts["baseline_tables"] - len(removed)
                                              - len(facts["core_tables"]) - len(facts["conflict_tables"]))]
    before = sorted(removed + others + facts["core_tables"] + facts["conflict_tables"])
    after = sorted(set(before) - set(removed))
    core = {"moves": 15, "cohorts": 8, "campaigns": 5, "assets": 42}
    core_rows = [{"table_name": t, "row_count": n} for t, n in core.items()]

    def snap(tables: list[str]) -> dict:
        return {"tables": tables, "table_count": len(tables), "core_counts": dict(core)}

    def table(rows: list[dict]) -> dict:
        return {"rows": rows, "row_count": len(rows), "columns": list(rows[0]) if rows else [],
                "scalar": next(iter(rows[0].values())) if rows else None}

    ar_cols = [{"column_name": c, "is_nullable": "NO"} for c in facts["agent_recommendations_columns"]]
    ats_cols = [{"column_name": c} for c in ("id", "workspace_id", "agent_id", "trust_score")]
    policies = [{"policyname": f"p{i}"} for i in range(5)]
    m011 = {"exists": True, "sha256": "a" * 64, "lines": 180, "statements": 12, "dropped_tables": [],
            "created_tables": ["agent_recommendations"], "altered_tables": ["agent_trust_scores", "competitors"],
            "has_transaction_control": False}
    m012 = {"exists": True, "sha256": "b" * 64, "lines": 150, "statements": 9, "dropped_tables": removed,
            "created_tables": [], "altered_tables": [], "has_transaction_control": False}
    verification = {"agent_recommendations_columns": table(ar_cols), "agent_trust_scores_columns": table(ats_cols),
                    "competitors_count": table([{"competitor_rows": 3}]), "table_count": table([{"n": len(after)}]),
                    "removed_tables_present": table([]), "core_row_counts": table(core_rows),
                    "rls_policies": table(policies)}
    mig011 = {"sha256": m011["sha256"], "before": snap(before), "after": snap(before),
              "tables_removed": [], "tables_added": [], "changed": True}
    mig012 = {"sha256": m012["sha256"], "before": snap(before), "after": snap(after),
              "tables_removed": sorted(removed), "tables_added": [], "changed": True}
    pytest_ok = {"exit_code": 0, "passed": facts["pytest_baseline_count"], "failed": 0, "errors": 0,
                 "new_failures": []}
    return {
        "1.1.inspect_011": m011, "1.2.inspect_012": m012,
        "1.2.code_refs": {"match_count": 0}, "1.3.inspect_queries": {"exists": True, "dropped_tables": [],
                                                                    "created_tables": [], "altered_tables": [],
                                                                    "has_transaction_control": False},
        "1.3.try_queries": {"queries": verification, "query_count": len(verification)},
        "1.4.backup": {"answer": "2024-01-29T02:00:00+00:00"},
        "1.5.version": table([{"version": "PostgreSQL 15.4 on x86_64"}]),
        "1.6.table_count": table([{"total_tables": len(before)}]), "1.6.core_counts": table(core_rows),
        "1.7.raptor_bus": pytest_ok, "1.7.full_suite_baseline": pytest_ok,
        "2.1.check_011": m011, "2.1.check_012": m012, "2.2.apply_011": mig011,
        "2.3.agent_recommendations_columns": table(ar_cols),
        "2.3.agent_recommendations_workspace_id": table([{"is_nullable": "NO"}]),
        "2.3.agent_trust_scores_columns": table(ats_cols),
        "2.3.agent_trust_scores_workspace_id": table([{"is_nullable": "NO"}]),
        "2.3.competitors": table([{"competitor_rows": 3}]), "2.4.apply_012": mig012,
        "2.5.table_count": table([{"active_table_count": len(after)}]), "2.5.removed_tables": table([]),
        "2.6.core_counts": table(core_rows), "3.1.code_refs": {"match_count": 0},
        "3.7.full_suite": pytest_ok, "4.1.backup": {"answer": "2024-02-01T02:00:00+00:00"},
        "4.2.window": {"answer": "now"},
        "4.3.dry_run_011": {**mig011, "rolled_back": True}, "4.3.dry_run_012": {**mig012, "rolled_back": True},
        "4.4.apply_011": mig011, "4.5.apply_012": mig012,
        "4.7.table_count": table([{"active_table_count": len(after)}]),
        "4.7.removed_tables": table([{"removed_table_count": 0}]), "4.7.core_counts": table(core_rows),
        "4.7.rls_policies": table(policies),
        **_happy_application_checks(),
        "5.4.final_verification": {"queries": verification, "query_count": len(verification)},
    }


def _happy_application_checks() -> dict[str, dict]:
    """Wednesday's and Friday's backend checks and Thursday's log watch, as they read when all is well."""
    service = {"startup_s": 0.8, "missing_output": [], "output_seen": {"Application startup complete": True}}
    ids = {"workspace_id": "w1", "cohort_id": "c1", "sprint_id": "s1", "maneuver_type_id": "m1"}
    clean = {"counts": {"ERROR": 0, "connection failed": 0, "deadlock detected": 0}, "match_count": 0,
             "deadlocks": 0, "blocked_max": 0}

    def answer(status: int, body: dict) -> dict:
        return {"status": status, "json": body}

    return {
        "3.2.start_backend": service,
        "3.3.health": answer(200, {"status": "healthy", "database": "connected", "redis": "connected"}),
        "3.4.move_refs": {"rows": [ids], "row_count": 1},
        "3.4.create_move": answer(201, {"id": "mv1", "name": "Test Move", **ids}),
        "3.5.list_campaigns": answer(200, {"items": [], "count": 0}),
        "3.6.list_cohorts": answer(200, {"items": [{"id": "c1"}], "count": 1}),
        "4.6.monitor": clean,
        "5.1.start_backend": service,
        "5.2.create_campaign": answer(201, {"id": "cp1", "name": "Test Campaign"}),
        "5.2.create_move": answer(201, {"id": "mv2", "campaign_id": "cp1"}),
        "5.2.query_cohorts": answer(200, {"items": [{"id": "c1"}], "count": 1}),
        "5.2.create_asset": answer(201, {"id": "a1", "move_id": "mv2"}),
        "5.2.remove_test_asset": answer(204, None), "5.2.remove_test_move": answer(204, None),
        "5.2.remove_test_campaign": answer(204, None),
        "5.2.logs_clean": clean,
        "5.3.load_test": {"requests_per_s": 850.0, "failed": 0, "non_2xx": 0, "mean_ms": 11.7},
    }


def test_a_happy_week_meets_every_expectation(runbook: Runbook) -> None:
    results = _happy_week(runbook)
    saved: dict[str, dict] = {}
    for step in runbook.steps():
        if step.kind == "attest" and step.params["answer_type"] == "confirm":
            data = results.get(step.id, {"answer": "yes", "confirmed": True})
        else:
            assert step.id in results, f"no simulated result for {step.id}"
            data = results[step.id]
        names = {**saved, "facts": runbook.facts, **data}
        for e in step.expect:
            verdict = expect.judge(e.check, names)
            assert verdict.ok, (step.id, e.check, verdict.evidence)
        if step.save_as:
            saved[step.save_as] = data


def _failed(runbook: Runbook, step_id: str, names: dict) -> StepResult:
    step = runbook.step(step_id)
    checks = []
    for e in step.expect:
        verdict = expect.judge(e.check, {"facts": runbook.facts, **names})
        checks.append(Check(e.check, e.describe, verdict.ok, verdict.evidence))
    return StepResult(step_id, step.kind, "failed", checks=checks)


def test_wrong_table_counts_get_the_runbooks_advice(runbook: Runbook) -> None:
    week = _happy_week(runbook)
    saved = {"m012_apply": week["2.4.apply_012"], "m012_plan": week["1.2.inspect_012"]}
    for count, problem in ((52, "didn't run"), (42, "extra table was dropped")):
        result = _failed(runbook, "2.5.table_count", {**saved, "scalar": count, "rows": [], "row_count": 1})
        assert not all(c.ok for c in result.checks)
        advice = advice_for(runbook, "2.5", result)
        assert [a["problem"] for a in advice if problem in a["problem"]], (count, advice)


def test_sql_errors_get_the_runbooks_advice(runbook: Runbook) -> None:
    for task_id, error, words in [
        ("2.2", 'relation "agent_recommendations" already exists', "008"),
        ("4.4", 'column "workspace_id" of relation "agent_trust_scores" already exists', "skip 011"),
        ("2.4", "cannot drop table quests because other objects depend on it", "FK"),
        ("3.2", 'relation "moves" does not exist', "ROLLBACK"),
        ("1.6", "connection refused", "status page"),
    ]:
        result = StepResult(f"{task_id}.x", "query", "error", error=error)
        advice = advice_for(runbook, task_id, result)
        assert any(words in a["advice"] for a in advice), (task_id, advice)
