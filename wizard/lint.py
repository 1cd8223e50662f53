"""squawk's findings on a migration file, each tied to its statement and said in this runbook's terms.

squawk (the `squawk-cli` package's binary) knows which DDL takes which lock and what breaks
clients; the wizard runs it, maps each finding to the statement it is in, and adds one line on
why it matters when one operator runs the file against a live database in a single transaction.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from wizard.errors import WizardError
from wizard.statements import Statement

# Why a rule matters for a migration the wizard runs in ONE transaction against a live database.
# Rules not listed get a generic line: squawk's own message still says what it found.
WHY = {
    "ban-drop-table": "the table's rows are gone on commit; only the backup brings them back, so the "
                      "backup and the code search must cover it",
    "ban-drop-column": "the column's values are gone on commit, and code still selecting it fails at once",
    "ban-drop-database": "everything in it is gone; no migration should do this",
    "renaming-column": "running code still uses the old name and fails until it is deployed",
    "renaming-table": "running code still uses the old name and fails until it is deployed",
    "adding-not-nullable-field": "the table is locked while every row is checked; on a big table "
                                 "the lock timeout ends the migration (and rolls it back)",
    "adding-required-field": "inserts from code that does not set the column start failing",
    "adding-field-with-default": "on old servers this rewrites the table under an exclusive lock",
    "changing-column-type": "the table is rewritten under an ACCESS EXCLUSIVE lock that blocks reads "
                            "for as long as the rewrite takes",
    "prefer-text-field": "changing a varchar's size later means another exclusive lock",
    "require-concurrent-index-creation": "writes to the table wait while the index builds; the "
                                         "wizard's transaction cannot use CONCURRENTLY",
    "constraint-missing-not-valid": "the table is scanned while writes are blocked",
    "adding-foreign-key-constraint": "both tables are locked against writes while the rows are checked",
    "disallowed-unique-constraint": "the unique index builds while writes are blocked",
    "adding-serial-primary-key-field": "the table is rewritten under an exclusive lock",
    "prefer-bigint-over-int": "an int key can run out; changing it later rewrites the table",
    "prefer-bigint-over-smallint": "a smallint key can run out; changing it later rewrites the table",
    "prefer-identity": "a serial's sequence is a separate object with its own grants and ownership",
    "prefer-robust-stmts": "a rerun after a partial manual fix fails on objects that already exist",
    "transaction-nesting": "the wizard runs the file as one transaction; BEGIN/COMMIT inside it would end that early",
    "syntax-error": "PostgreSQL will refuse the file; nothing in it runs",
}

# The wizard itself sets these for the transaction (`set local lock_timeout`, `statement_timeout`),
# so squawk's demand is met before the file's first statement.
COVERED = {
    "require-lock-timeout": "the wizard sets lock_timeout for the transaction before the file runs",
    "require-statement-timeout": "the wizard sets statement_timeout for the transaction before the file runs",
}


@dataclass
class Finding:
    rule: str
    level: str
    line: int  # 1-based
    statement: int | None  # the Statement.index it falls in
    message: str
    help: str
    why: str
    covered: bool  # the wizard already does what the rule asks

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)


def squawk_binary() -> str:
    """The squawk executable: next to this Python (the package's venv), else on PATH."""
    here = Path(sys.executable).parent / "squawk"
    found = str(here) if here.exists() else shutil.which("squawk")
    if not found:
        raise WizardError("squawk is not installed, so the preview cannot lint the file.",
                          "Install the wizard's dependencies again (`pip install -e .` installs squawk-cli).")
    return found


def _statement_at(line: int, statements: Sequence[Statement]) -> int | None:
    for s in statements:
        if s.line <= line <= s.end_line:
            return s.index
    # a finding on a comment line before a statement belongs to the statement after it
    return next((s.index for s in statements if s.line >= line), None)


def lint(path: Path, statements: Sequence[Statement], *, pg_version: str | None = None,
         timeout: float = 60) -> list[Finding]:
    """squawk's findings on `path`, in line order; the statements come from wizard.statements.split."""
    cmd = [squawk_binary(), "--reporter", "json", "--assume-in-transaction"]
    if pg_version:
        cmd.append(f"--pg-version={pg_version}")
    cmd.append(str(path))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise WizardError(f"squawk did not finish linting {path.name} within {timeout:.0f} s.") from None
    try:
        raw = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        first = (done.stderr or done.stdout).strip().splitlines()[:1]
        raise WizardError(f"squawk could not lint {path.name}: {first[0] if first else 'no output'}",
                          "Run `squawk` on the file yourself to see its message.") from None
    findings = []
    for item in raw:
        rule = item.get("rule_name") or "unknown"
        line = int(item.get("line") or 0) + 1  # squawk counts lines from 0
        covered = rule in COVERED
        findings.append(Finding(
            rule=rule, level=str(item.get("level") or "").lower(), line=line,
            statement=_statement_at(line, statements), message=item.get("message") or "",
            help=item.get("help") or "", covered=covered,
            why=COVERED.get(rule) or WHY.get(rule, "squawk flags it as risky for a live database; read its message"),
        ))
    return sorted(findings, key=lambda f: (f.line, f.rule))
