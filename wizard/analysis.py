"""What a SQL file does, read with PostgreSQL's own parser (pglast): never a hand-kept list."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pglast
from pglast import ast, enums
from pglast.visitors import Visitor

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
    rebuilt_tables: list[str] = field(default_factory=list)  # dropped and created again (e.g. swap via rename)
    has_transaction_control: bool = False
    comment_lines: int = 0
    do_blocks: int = 0
    # Every table each statement names (DO blocks read inside), in file order, and their union.
    statement_tables: list[list[str]] = field(default_factory=list)
    touched_tables: list[str] = field(default_factory=list)
    # The tables the file drops, alters, renames, truncates or changes policies on: a migration
    # takes ACCESS EXCLUSIVE on these (those that exist) up front, all together.
    exclusive_tables: list[str] = field(default_factory=list)

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


def _do_block_statements(stmt: ast.DoStmt) -> list[Any]:
    """The SQL inside a DO block, read with PL/pgSQL's own parser: migrations hide DDL there."""
    body = next((a.arg.sval for a in stmt.args or () if a.defname == "as"), None)
    language = next((a.arg.sval for a in stmt.args or () if a.defname == "language"), "plpgsql")
    if body is None or language != "plpgsql":
        return []
    try:
        tree = pglast.parse_plpgsql(f"CREATE FUNCTION wizard_probe() RETURNS void LANGUAGE plpgsql AS $wizard$ {body} $wizard$")
    except Exception:  # noqa: BLE001 - an unparsable body is reported by the server when it runs
        return []
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            execsql = node.get("PLpgSQL_stmt_execsql")
            if execsql:
                query = execsql.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query")
                if query:
                    try:
                        found.extend(raw.stmt for raw in pglast.parse_sql(query))
                    except pglast.parser.ParseError:
                        pass
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return found


class _NamedTables(Visitor):
    """Every table a statement names (FROM, targets, REFERENCES, ON, GRANT ... ON), CTEs left out."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[str] = []
        self.ctes: set[str] = set()

    def visit_RangeVar(self, ancestors: Any, node: ast.RangeVar) -> None:
        self.tables.append(_relname(node))

    def visit_CommonTableExpr(self, ancestors: Any, node: ast.CommonTableExpr) -> None:
        self.ctes.add(node.ctename)


def _tables_named(stmt: Any) -> list[str]:
    visitor = _NamedTables()
    visitor(stmt)
    found = [t for t in visitor.tables if t not in visitor.ctes]
    if isinstance(stmt, ast.DropStmt) and stmt.removeType == enums.ObjectType.OBJECT_TABLE:
        found += [_name(obj) for obj in stmt.objects]
    elif isinstance(stmt, ast.DropStmt) and stmt.removeType == enums.ObjectType.OBJECT_POLICY:
        found += [_name(obj[:-1]) for obj in stmt.objects]  # (table..., policy name)
    elif isinstance(stmt, ast.DoStmt):
        for inner in _do_block_statements(stmt):
            found += _tables_named(inner)
    return _unique(found)


def _classify(stmt: Any, plan: SqlPlan) -> None:
    if isinstance(stmt, ast.DropStmt) and stmt.removeType == enums.ObjectType.OBJECT_TABLE:
        names = [_name(obj) for obj in stmt.objects]
        plan.dropped_tables += names
        plan.exclusive_tables += names
        if stmt.behavior == enums.DropBehavior.DROP_CASCADE:
            plan.cascade_drops += names
    elif isinstance(stmt, ast.DropStmt) and stmt.removeType == enums.ObjectType.OBJECT_POLICY:
        plan.exclusive_tables += [_name(obj[:-1]) for obj in stmt.objects]
    elif isinstance(stmt, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
        plan.exclusive_tables.append(_relname(stmt.table))
    elif isinstance(stmt, ast.TruncateStmt):
        plan.exclusive_tables += [_relname(rel) for rel in stmt.relations]
    elif isinstance(stmt, ast.CreateStmt):
        plan.created_tables.append(_relname(stmt.relation))
    elif isinstance(stmt, ast.AlterTableStmt):
        plan.altered_tables.append(_relname(stmt.relation))
        plan.exclusive_tables.append(_relname(stmt.relation))
    elif isinstance(stmt, ast.RenameStmt) and stmt.renameType == enums.ObjectType.OBJECT_TABLE:
        old = _relname(stmt.relation)
        plan.exclusive_tables.append(old)
        if old in plan.created_tables:
            plan.created_tables.remove(old)  # built under a temporary name, then swapped in
        else:
            plan.altered_tables.append(old)
        plan.created_tables.append(stmt.newname)
    elif isinstance(stmt, ast.TransactionStmt):
        plan.has_transaction_control = True
    elif isinstance(stmt, ast.DoStmt):
        plan.do_blocks += 1
        for inner in _do_block_statements(stmt):
            _classify(inner, plan)


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
        _classify(raw.stmt, plan)
        plan.statement_tables.append(_tables_named(raw.stmt))
    plan.touched_tables = _unique([t for tables in plan.statement_tables for t in tables])
    plan.exclusive_tables = _unique(plan.exclusive_tables)
    created = set(plan.created_tables)
    plan.rebuilt_tables = _unique([t for t in plan.dropped_tables if t in created])
    plan.dropped_tables = _unique([t for t in plan.dropped_tables if t not in created])
    plan.created_tables = _unique(plan.created_tables)
    plan.altered_tables = _unique(plan.altered_tables)
    plan.cascade_drops = _unique([t for t in plan.cascade_drops if t not in created])
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


def dropped_columns(text: str) -> list[tuple[str, str]]:
    """(table, column) for every ALTER TABLE … DROP COLUMN in the text, DO blocks included."""
    found: list[tuple[str, str]] = []

    def visit(stmt: Any) -> None:
        if isinstance(stmt, ast.AlterTableStmt):
            for cmd in stmt.cmds or ():
                if isinstance(cmd, ast.AlterTableCmd) and cmd.subtype == enums.AlterTableType.AT_DropColumn:
                    found.append((_relname(stmt.relation), cmd.name))
        elif isinstance(stmt, ast.DoStmt):
            for inner in _do_block_statements(stmt):
                visit(inner)

    for raw in pglast.parse_sql(text):
        visit(raw.stmt)
    return list(dict.fromkeys(found))
