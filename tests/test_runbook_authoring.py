"""Authoring: `runbook new` writes a skeleton `runbook check` accepts; `check` finds unknown names,
result fields, placeholders and missing files, each at file:line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wizard.runbook import load_runbook
from wizard.runbook.lint import lint


def wizard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.run([sys.executable, "-m", "wizard.cli", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_new_writes_a_skeleton_check_accepts(tmp_path):
    made = wizard("runbook", "new", "books/billing.toml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "books" / "billing.toml").read_text()
    assert 'kind = "query"' in text and 'kind = "attest"' in text and "[[troubleshooting]]" in text and "[[rollback]]" in text
    checked = wizard("runbook", "check", "books/billing.toml", cwd=tmp_path)
    assert checked.returncode == 0 and "✓" in checked.stdout, checked.stdout + checked.stderr
    again = wizard("runbook", "new", "books/billing.toml", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr


BROKEN = '''title = "Broken"

[facts]
stripe_tables = 3

[[days]]
id = "monday"
title = "M"
summary = "s"

[[days.tasks]]
id = "1.1"
title = "T"
estimate_minutes = 1
instructions = "i"

[[days.tasks.steps]]
id = "1.1.count"
kind = "query"
title = "count"
target = "staging"
save_as = "counted"
sql = "select 1"
expect = [
  "scalar == facts.stripe_tablez",
  "result.rowz == []",
  "scalar == countd.scalar",
]

[[days.tasks.steps]]
id = "1.1.apply"
kind = "migration"
title = "apply"
target = "staging"
file = "{workspce}/001.sql"

[[days.tasks.steps]]
id = "1.1.read"
kind = "file_check"
title = "read"
target = "local"
path = "sql/missing.sql"
expect = ["exists and counted.rowz == 1"]
'''


def test_check_finds_each_problem_at_its_line(tmp_path):
    book = tmp_path / "broken.toml"
    book.write_text(BROKEN)
    lines = BROKEN.splitlines()

    def line_of(text: str) -> int:
        return next(i + 1 for i, line in enumerate(lines) if text in line)

    findings = lint(load_runbook(book))
    assert all(f.error for f in findings)
    found = "\n".join(str(f) for f in findings)
    assert f"broken.toml:{line_of('facts.stripe_tablez')}: days[0].tasks[0].steps[0].expect[0]" in found
    assert "facts.stripe_tablez is not in [facts] (did you mean 'stripe_tables'?)" in found
    assert f"broken.toml:{line_of('result.rowz')}:" in found and "result.rowz is not a query result field (did you mean 'rows'?)" in found
    assert f"broken.toml:{line_of('countd.scalar')}:" in found and "unknown name 'countd'" in found and "'counted'" in found
    assert "counted is a query result, which has no field 'rowz'" in found
    assert f"broken.toml:{line_of('workspce')}: days[0].tasks[0].steps[1].file: unknown placeholder {{workspce}} (did you mean {{workspace}}?)" in found
    assert f"broken.toml:{line_of('missing.sql')}: days[0].tasks[0].steps[2].path" in found and "no such file" in found
    assert len(findings) == 6, found

    cli = wizard("runbook", "check", str(book), cwd=tmp_path)
    assert cli.returncode == 2 and "Traceback" not in cli.stderr + cli.stdout
    assert "6 problems" in cli.stdout and "unknown placeholder {workspce}" in cli.stdout

    warnings = lint(load_runbook(book), strict_files=False)
    assert [f.error for f in warnings if "no such file" in f.what] == [False]


def test_shipped_runbooks_have_no_errors():
    for path in ("wizard/runbook/week1.toml", "wizard/rehearsal/week2.toml"):
        errors = [str(f) for f in lint(load_runbook(Path(__file__).parents[1] / path)) if f.error]
        assert errors == [], errors
