"""code_search on a small TypeScript workspace: the languages present, vendored folders left out,
another schema's tables found by the names clients use, dropped columns, 0 files is a failure."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from wizard.engine import Engine
from wizard.environments import Environment
from wizard.journal import Journal
from wizard.runbook.model import Day, Expectation, Runbook, Step, Task
from wizard.session import AnswersDialogue

APP = Path(__file__).parent / "data" / "billing_runbook" / "app"
ENV = Environment("sandbox-staging", "sandbox", "staging", {})


def _run(tmp_path: Path, params: dict, *expect: str):
    step = Step("1.2.refs", "code_search", "refs", "local", params, tuple(Expectation(e, e) for e in expect))
    task = Task("1.2", "t", 1, "", (step,), "monday")
    runbook = Runbook("t", str(tmp_path / "t.toml"), {}, (Day("monday", "m", "", (task,)),))
    engine = Engine(runbook, ENV, Journal(tmp_path / "j.jsonl"), ask=AnswersDialogue({}).ask, workspace=tmp_path)
    return asyncio.run(engine.run_day("monday")).results[0]


def _workspace(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    return app


def test_typescript_references_in_the_client_forms(tmp_path):
    app = _workspace(tmp_path)
    (app / "src" / "legacy.ts").write_text(
        'const a = supabase.schema("billing").from("legacy_coupons").select();\n'
        "const b = await fetch(`${url}/rest/v1/legacy_credits?select=*`);\n"
        "const c = row.fax;\n"
        "const d = 'billing.legacy_coupons';\n")
    (tmp_path / "drop.sql").write_text("DROP TABLE billing.legacy_coupons;\nDROP TABLE billing.legacy_credits;\n"
                                       "ALTER TABLE billing.customers DROP COLUMN fax;\n")
    result = _run(tmp_path, {"path": "app", "tables_from": "drop.sql"}, "match_count == 0")
    data = result.data
    assert result.status == "failed"
    assert data["tables"] == ["billing.legacy_coupons", "billing.legacy_credits"]
    assert data["columns"] == ["billing.customers.fax"]
    assert data["by_table"] == {"billing.legacy_coupons": 2, "billing.legacy_credits": 1}
    assert data["by_column"] == {"billing.customers.fax": 1}
    assert ".ts" in data["languages"] and data["file_list"].startswith("walk")
    files = {m["file"] for m in data["matches"]}
    assert files == {"src/legacy.ts"}, "node_modules and test paths are left out"
    assert data["files_scanned"] == 2 and data["matches_left_out"] == 0


def test_git_ls_files_is_the_file_list_in_a_repository(tmp_path):
    app = _workspace(tmp_path)
    (app / ".gitignore").write_text("generated/\n")
    (app / "generated").mkdir()
    (app / "generated" / "types.ts").write_text('export const t = "legacy_coupons";\n')
    subprocess.run(["git", "init", "-q", str(app)], check=True)
    (tmp_path / "drop.sql").write_text("DROP TABLE billing.legacy_coupons;\n")
    data = _run(tmp_path, {"path": "app", "tables_from": "drop.sql"}).data
    assert data["file_list"] == "git ls-files"
    assert data["match_count"] == 0, data["matches"]  # ignored by git, and node_modules left out


def test_no_source_file_is_a_failure_not_a_pass(tmp_path):
    (tmp_path / "empty" / "node_modules").mkdir(parents=True)
    (tmp_path / "empty" / "node_modules" / "x.js").write_text("legacy_coupons\n")
    (tmp_path / "empty" / "README.md").write_text("nothing here\n")
    (tmp_path / "drop.sql").write_text("DROP TABLE billing.legacy_coupons;\n")
    result = _run(tmp_path, {"path": "empty", "tables_from": "drop.sql"}, "match_count == 0")
    assert result.status == "error" and "0 files scanned" in result.error


def test_console_says_how_many_more(tmp_path, capsys):
    from rich.console import Console

    from wizard.cli.console import print_result

    app = _workspace(tmp_path)
    (app / "src" / "many.ts").write_text("".join(f'from("legacy_coupons") // {i}\n' for i in range(14)))
    (tmp_path / "drop.sql").write_text("DROP TABLE billing.legacy_coupons;\n")
    step = Step("1.2.refs", "code_search", "refs", "local", {"path": "app", "tables_from": "drop.sql"})
    result = _run(tmp_path, {"path": "app", "tables_from": "drop.sql"})
    task = Task("1.2", "t", 1, "", (step,), "monday")
    print_result(Console(width=160, no_color=True), task, step, result)
    out = capsys.readouterr().out
    assert "+4 more" in out and "billing.legacy_coupons: 14" in out
