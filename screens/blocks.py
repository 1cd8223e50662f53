"""What a step result is laid out as for the screen: text, result sets, output, a histogram."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Block:
    kind: str  # "text" | "table" | "output" | "histogram" (data: {"histogram": [{"upper_ms", "count"}]})
    text: str = ""
    title: str | None = None
    data: dict[str, Any] | None = None


def rows_table(columns: list[str], types: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"columns": columns, "column_types": types, "rows": rows, "row_count": len(rows), "shown_rows": len(rows),
            "truncated": False}
