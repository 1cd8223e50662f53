"""A SQL file statement by statement: where each one is, what it does, which tables it touches.

Read with PostgreSQL's own parser (pglast), including the SQL inside DO blocks. The preview
lists these, the migration step runs them one at a time (to time each), and the data-loss proof
takes from them which columns and tables the file means to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pglast
import pglast.visitors
from pglast import ast, enums

from wizard.analysis import _do_block_statements

_RELATION_DROPS = {
    enums.ObjectType.OBJECT_TABLE: "table",
    enums.ObjectType.OBJECT_VIEW: "view",
    enums.ObjectType.OBJECT_MATVIEW: "materialized view",
    enums.ObjectType.OBJECT_SEQUENCE: "sequence",
    enums.ObjectType.OBJECT_INDEX: "index",
}


@dataclass
class Statement:
    index: int  # 1-based, in file order
    line: int  # 1-based line of its first token
    end_line: int
    text: str
    kinds: list[str] = field(default_factory=list)  # classes, "create table", "drop table", …
    tables: list[str] = field(default_factory=list)  # every table it names, as written
    drops: list[tuple[str, str, bool]] = field(default_factory=list)  # (object type, name, cascade)
    written_columns: dict[str, list[str]] = field(default_factory=dict)  # table → columns whose values change
    rows_written: list[str] = field(default_factory=list)  # tables it inserts into, deletes from or truncates
    renamed: list[str] = field(default_factory=list)  # tables renamed away

    @property
    def kind(self) -> str:
        return ", ".join(dict.fromkeys(self.kinds)) or "other"

    def to_data(self) -> dict[str, Any]:
        return {"index": self.index, "line": self.line, "end_line": self.end_line, "kind": self.kind,
                "tables": self.tables, "columns": self.written_columns, "rows_written": self.rows_written,
                "text": self.text}


def _rel(rel: ast.RangeVar) -> str:
    return f"{rel.schemaname}.{rel.relname}" if rel.schemaname else rel.relname


def _dotted(parts: Any) -> str:
    return ".".join(p.sval for p in parts)


def _range_vars(node: Any) -> list[str]:
    """Every table a statement names (FROM lists, subqueries, targets), in order."""
    found: list[str] = []

    class Visitor(pglast.visitors.Visitor):
        def visit_RangeVar(self, ancestors: Any, node: ast.RangeVar) -> None:
            found.append(_rel(node))

    Visitor()(node)
    return found


def _alter(stmt: ast.AlterTableStmt, out: Statement) -> None:
    table = _rel(stmt.relation)
    T = enums.AlterTableType
    for cmd in stmt.cmds or ():
        sub = cmd.subtype
        if sub == T.AT_AddColumn:
            out.kinds.append("add column")
        elif sub == T.AT_DropColumn:
            out.kinds.append("drop column")
            out.written_columns.setdefault(table, []).append(cmd.name)
        elif sub == T.AT_SetNotNull:
            out.kinds.append("set not null")
        elif sub == T.AT_AlterColumnType:
            out.kinds.append("alter column type")  # the values' text may change with the type
            out.written_columns.setdefault(table, []).append(cmd.name)
        elif sub in (T.AT_EnableRowSecurity, T.AT_DisableRowSecurity, T.AT_ForceRowSecurity):
            out.kinds.append("policy")
        elif sub in (T.AT_AddConstraint, T.AT_ValidateConstraint, T.AT_DropConstraint):
            out.kinds.append("constraint")
        else:
            out.kinds.append("alter table")


def classify(stmt: Any, out: Statement) -> None:
    """Add what one parsed statement does to `out` (DO blocks: what the SQL inside them does)."""
    if isinstance(stmt, ast.DoStmt):
        out.kinds.append("do block")
        for inner in _do_block_statements(stmt):
            classify(inner, out)
        return
    out.tables.extend(_range_vars(stmt))
    if isinstance(stmt, ast.CreateStmt):
        out.kinds.append("create table")
    elif isinstance(stmt, ast.CreateTableAsStmt):
        out.kinds.append("create table")
    elif isinstance(stmt, ast.DropStmt):
        what = _RELATION_DROPS.get(stmt.removeType, str(stmt.removeType.name).removeprefix("OBJECT_").lower())
        out.kinds.append(f"drop {what}")
        cascade = stmt.behavior == enums.DropBehavior.DROP_CASCADE
        for obj in stmt.objects or ():
            name = _dotted(obj) if isinstance(obj, (list, tuple)) else str(obj)
            out.drops.append((what, name, cascade))
            if what == "table":
                out.tables.append(name)
    elif isinstance(stmt, ast.AlterTableStmt):
        _alter(stmt, out)
    elif isinstance(stmt, ast.RenameStmt):
        out.kinds.append("rename")
        if stmt.renameType == enums.ObjectType.OBJECT_TABLE and stmt.relation is not None:
            out.renamed.append(_rel(stmt.relation))
        elif stmt.renameType == enums.ObjectType.OBJECT_COLUMN and stmt.relation is not None:
            out.written_columns.setdefault(_rel(stmt.relation), []).append(stmt.subname)
    elif isinstance(stmt, ast.UpdateStmt):
        out.kinds.append("backfill")
        cols = [t.name for t in stmt.targetList or () if t.name]
        out.written_columns.setdefault(_rel(stmt.relation), []).extend(cols)
    elif isinstance(stmt, ast.InsertStmt):
        out.kinds.append("backfill" if stmt.selectStmt is not None and getattr(stmt.selectStmt, "fromClause", None) else "insert")
        out.rows_written.append(_rel(stmt.relation))
    elif isinstance(stmt, ast.DeleteStmt):
        out.kinds.append("delete")
        out.rows_written.append(_rel(stmt.relation))
    elif isinstance(stmt, ast.TruncateStmt):
        out.kinds.append("truncate")
        out.rows_written.extend(_rel(r) for r in stmt.relations)
    elif isinstance(stmt, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
        out.kinds.append("policy")
        out.tables.append(_rel(stmt.table))
    elif isinstance(stmt, ast.IndexStmt):
        out.kinds.append("index")
    elif isinstance(stmt, ast.CreateFunctionStmt):
        out.kinds.append("function")
    elif isinstance(stmt, ast.ViewStmt):
        out.kinds.append("view")
    elif isinstance(stmt, ast.CreateTrigStmt):
        out.kinds.append("trigger")
    elif isinstance(stmt, ast.SelectStmt):
        out.kinds.append("read")
    else:
        out.kinds.append("other")


def _is_catalog(name: str) -> bool:
    return name.startswith(("pg_", "pg_catalog.", "information_schema."))


_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)


def split(text: str) -> list[Statement]:
    """Each statement of `text` with its place in the file. Raises pglast's ParseError."""
    raw = pglast.parse_sql(text)
    data = text.encode()  # the parser's locations are byte offsets
    out: list[Statement] = []
    for i, r in enumerate(raw, 1):
        start = r.stmt_location or 0
        end = start + r.stmt_len if r.stmt_len else len(data)
        piece = data[start:end].decode()
        lead = _LEADING.match(piece).end()  # blank lines and comments before the first token
        first = data[:start].decode().count("\n") + piece[:lead].count("\n") + 1
        body = piece.strip()
        stmt = Statement(i, first, first + body.count("\n"), body)
        classify(r.stmt, stmt)
        stmt.tables = list(dict.fromkeys(t for t in stmt.tables if not _is_catalog(t)))
        out.append(stmt)
    return out
