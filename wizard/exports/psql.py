"""Query results as psql prints them (aligned format, border 1): what people are used to reading."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.cells import cell_len

NUMERIC_TYPES = {"int2", "int4", "int8", "smallint", "integer", "bigint", "numeric", "decimal", "float4", "float8",
                 "real", "double precision", "oid", "xid", "cid", "money"}
_ISO_TS = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2}):(\d{2})$")


def psql_value(value: Any, type_name: str = "") -> str:
    """One value as psql shows it: NULL empty, booleans t/f, timestamps with a space, jsonb spaced."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer() and type_name in ("numeric", "decimal"):
        return str(int(value))
    text = str(value)
    if isinstance(value, str) and type_name.startswith("timestamp"):
        m = _ISO_TS.match(text)
        if m:
            zone = m.group(3) + ("" if m.group(4) == "00" else ":" + m.group(4))
            return f"{m.group(1)} {m.group(2)}{zone}"
    return text


def _pad(text: str, width: int, right: bool) -> str:
    gap = width - cell_len(text)
    return (" " * gap + text) if right else (text + " " * gap)


def aligned(table: dict[str, Any]) -> str:
    """A TableResult.to_data() dict in psql's aligned format, ending with "(N rows)" and a blank line, as psql does."""
    columns: list[str] = list(table.get("columns") or [])
    types: list[str] = list(table.get("column_types") or [""] * len(columns))
    total = int(table.get("row_count") or 0)
    if not columns:  # a statement without a result set: psql prints its status
        return (table.get("status") or "(no result)") + "\n"
    rows = [[psql_value(row.get(c), t).split("\n") for c, t in zip(columns, types)] for row in table.get("rows") or []]
    right = [t in NUMERIC_TYPES for t in types]
    widths = [cell_len(c) for c in columns]
    for row in rows:
        for i, lines in enumerate(row):
            widths[i] = max([widths[i]] + [cell_len(line) for line in lines])
    out: list[str] = []
    header = []
    for i, name in enumerate(columns):
        gap = widths[i] - cell_len(name)
        header.append(" " * (gap // 2) + name + " " * ((gap + 1) // 2))
    out.append(" " + " | ".join(header) + " ")
    out.append("-" + "-+-".join("-" * w for w in widths) + "-")
    last = len(columns) - 1
    for row in rows:
        height = max(len(lines) for lines in row)
        for n in range(height):
            parts = []
            for i, lines in enumerate(row):
                text = lines[n] if n < len(lines) else ""
                more = n < len(lines) - 1
                padded = text if (i == last and not right[i] and not more) else _pad(text, widths[i], right[i])
                parts.append(" " + padded + ("+" if more else (" " if i < last else "")))
            out.append("|".join(parts))
    shown = len(rows)
    footer = f"({total} row{'' if total == 1 else 's'})"
    if table.get("truncated") or shown < total:
        footer += f"  -- the wizard kept the first {shown}"
    out.append(footer)
    return "\n".join(out) + "\n\n"
