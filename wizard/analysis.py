"""What a SQL file does, read with PostgreSQL's own parser (pglast): never a hand-kept list."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pglast
from pglast import ast, enums

from wizard.errors import WizardError


@dataclass
class SqlPlan:
    path: str
    sha256: str
    lines: int
    statements: int
    dropped_tables: list[str] = field(default_factory=list)
    created_tables: list[str] = field(default_factory=list)
    altered_tables: list[str] = field(default_factory=list)
    cascade_drops: list[str] = field(default_factory=list)
    has_transaction_control: bool = False
    comment_lines: int = 0

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _name(parts: list[Any]) -> str:
    names = [p.sval for p in parts]
    return names[-1] if len(names) == 1 or names[0] == "public" else ".".join(names)


def _relname(rel: ast.RangeVar) -> str:
    if rel.schemaname and rel.schemaname != "public":
        return f"{rel.schemaname}.{rel.relname}"
    return rel.relname


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def analyse_text(text: str, path: str = "<sql>") -> SqlPlan:
    try:
        statements = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        index = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        where = f" (line {text.count(chr(10), 0, index) + 1})" if index is not None else ""
        raise WizardError(f"{path}: PostgreSQL cannot parse this file{where}: {exc.args[0]}",
                          "Fix the SQL; the wizard runs nothing from a file it cannot parse.") from None
    plan = SqlPlan(
        path=path,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        lines=len(text.splitlines()),
        statements=len(statements),
        comment_lines=sum(1 for line in text.splitlines() if line.strip().startswith("--")),
    )
    for raw in statements:
        stmt = raw.stmt
        if isinstance(stmt, ast.DropStmt) and stmt.removeType == enums.ObjectType.OBJECT_TABLE:
            names = [_name(obj) for obj in stmt.objects]
            plan.dropped_tables += names
            if stmt.behavior == enums.DropBehavior.DROP_CASCADE:
                plan.cascade_drops += names
        elif isinstance(stmt, ast.CreateStmt):
            plan.created_tables.append(_relname(stmt.relation))
        elif isinstance(stmt, ast.AlterTableStmt):
            plan.altered_tables.append(_relname(stmt.relation))
        elif isinstance(stmt, ast.TransactionStmt):
            plan.has_transaction_control = True
    plan.dropped_tables = _unique(plan.dropped_tables)
    plan.created_tables = _unique(plan.created_tables)
    plan.altered_tables = _unique(plan.altered_tables)
    plan.cascade_drops = _unique(plan.cascade_drops)
    return plan


def analyse_file(path: Path) -> SqlPlan:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise WizardError(f"Migration file not found: {path}", "Check the path, or the workspace set for this environment.") from None
    return analyse_text(text, str(path))


_QUERY_MARK = re.compile(r"^--\s*@query\s+([A-Za-z_][A-Za-z0-9_]*)\s*:?\s*(.*)$")
_SECTION_MARK = re.compile(r"^--\s*@section\s+(.*)$")


@dataclass
class NamedQuery:
    name: str
    description: str
    section: str
    sql: str


def split_queries(text: str) -> list[NamedQuery]:
    """Split a verification file on its `-- @query name: description` markers."""
    queries: list[NamedQuery] = []
    section = ""
    current: NamedQuery | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            current.sql = "\n".join(body).strip()
            queries.append(current)

    for line in text.splitlines():
        if m := _SECTION_MARK.match(line.strip()):
            section = m.group(1).strip()
            continue
        if m := _QUERY_MARK.match(line.strip()):
            close()
            current, body = NamedQuery(m.group(1), m.group(2).strip(), section, ""), []
            continue
        if current is not None:
            body.append(line)
    close()
    return queries
