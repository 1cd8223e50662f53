"""A step result laid out for the screen: lines of text and result sets (TableResult.to_data
shape). Only rearranges what the engine recorded; it never decides whether anything passed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from wizard.results import StepResult
from wizard.runbook.model import Step


@dataclass
class Block:
    kind: str  # "text" | "table" | "output"
    text: str = ""
    title: str | None = None
    data: dict[str, Any] | None = None


def _counts_table(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    rows = [{"measure": "public tables", "before": before.get("table_count"), "after": after.get("table_count")}]
    b_counts, a_counts = before.get("core_counts") or {}, after.get("core_counts") or {}
    for table in list(b_counts) + [t for t in a_counts if t not in b_counts]:
        rows.append({"measure": f"rows in {table}", "before": b_counts.get(table), "after": a_counts.get(table)})
    return {"columns": ["measure", "before", "after"], "column_types": ["text", "int8", "int8"], "rows": rows,
            "row_count": len(rows), "shown_rows": len(rows), "truncated": False}


def present(step: Step, result: StepResult, path: Callable[[str], str] = lambda s: s) -> list[Block]:
    data = result.data or {}
    blocks: list[Block] = []
    kind = step.kind
    if kind == "query":
        if "queries" in data:
            for name, sub in data["queries"].items():
                blocks.append(Block("table", title=name, data=sub))
            if data.get("failed_query"):
                blocks.append(Block("text", f"failed in query {data['failed_query']}"))
        elif "columns" in data or "status" in data:
            blocks.append(Block("table", data=data))
    elif kind == "migration" and "before" in data and "after" in data:
        mode = " · dry run, rolled back" if data.get("mode") == "dry_run" else ""
        blocks.append(Block("text", f"{data.get('file')} · sha256 {str(data.get('sha256'))[:12]} · "
                                    f"{data.get('statements')} statements in one transaction{mode}"))
        blocks.append(Block("table", title="before → after", data=_counts_table(data["before"], data["after"])))
        removed = data.get("tables_removed") or []
        blocks.append(Block("text", f"removed {len(removed)}: {', '.join(removed) or 'none'}"))
        if data.get("tables_added"):
            blocks.append(Block("text", f"added: {', '.join(data['tables_added'])}"))
        for notice in data.get("notices") or []:
            blocks.append(Block("text", f"server said: {notice}"))
    elif kind == "migration" and data.get("sql_error"):
        blocks.append(Block("text", "rolled back: nothing of the file stayed applied" if data.get("rolled_back") else ""))
    elif kind == "code_search" and "match_count" in data:
        blocks.append(Block("text", f"{data.get('match_count')} references to {len(data.get('tables', []))} tables "
                                    f"in {data.get('files_scanned')} files"))
        matches = data.get("matches") or []
        if matches:
            rows = [{"file": path(str(m.get("file"))), "line": m.get("line"), "text": m.get("text")} for m in matches]
            blocks.append(Block("table", title="references", data={
                "columns": ["file", "line", "text"], "column_types": ["text", "int4", "text"], "rows": rows,
                "row_count": len(rows), "shown_rows": len(rows), "truncated": False}))
    elif kind == "command" and "exit_code" in data:
        if data.get("summary"):
            extra = f" · new failures: {len(data.get('new_failures', []))}"
            blocks.append(Block("text", f"pytest: {data['summary']}{extra}"))
        else:
            blocks.append(Block("text", f"exit code {data.get('exit_code')}"))
        if data.get("output_tail"):
            blocks.append(Block("output", path(str(data["output_tail"]))))
    elif kind == "file_check":
        if data.get("exists"):
            extra = f" · drops {len(data['dropped_tables'])} tables" if data.get("dropped_tables") else ""
            blocks.append(Block("text", f"{path(str(data.get('path')))}: {data.get('lines')} lines, "
                                        f"{data.get('statements', '-')} statements{extra}"))
        elif "path" in data:
            blocks.append(Block("text", f"missing: {path(str(data.get('path')))}"))
    elif kind == "attest" and "answer" in data:
        blocks.append(Block("text", f"answer: {data['answer']} ({data.get('answer_source')})"))
    return [b for b in blocks if b.text or b.data is not None]
