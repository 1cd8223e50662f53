"""A step result laid out for the screen: lines of text and result sets (TableResult.to_data
shape). Only rearranges what the engine recorded; it never decides whether anything passed."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from screens.blocks import Block, rows_table
from screens.present_migration import migration_blocks
from wizard.redact import MASK, redact
from wizard.results import Check, StepResult
from wizard.runbook.model import Step


# Keys whose values are secrets whatever they hold: a body is shown with these masked, on top of
# the registered secrets redact() already scrubs.
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api[_-]?key|authorization|cookie|credential", re.IGNORECASE)


def mask_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if _SECRET_KEY.search(str(k)) and v not in (None, "") else mask_secrets(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def pretty_json(value: Any) -> str:
    return redact(json.dumps(mask_secrets(value), indent=2, ensure_ascii=False, default=str))


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:,.1f} ms" if isinstance(value, (int, float)) else str(value)


def _present_appcheck(kind: str, data: dict[str, Any], path: Callable[[str], str]) -> list[Block]:
    """What the application checks measured: the load's figures and histogram, the service's
    start and log, the HTTP answer and its body, the monitor's counts and matching lines."""
    blocks: list[Block] = []
    if kind == "load" and "requests_per_s" in data:
        blocks.append(Block("text", f"{data.get('method', 'GET')} {redact(str(data.get('url', '')))}\n"
                                    f"{data['requests_per_s']:,.1f} requests/s · {data.get('completed')} of "
                                    f"{data.get('requests')} answered, {data.get('concurrency')} at a time · "
                                    f"{data.get('failed', 0)} failed · {data.get('non_2xx', 0)} not 2xx · "
                                    f"{data.get('total_s', 0):,.2f} s in all"))
        names = ("mean", "min", "p50", "p95", "p99", "max")
        row = {name: data.get(f"{name}_ms") for name in names}
        blocks.append(Block("table", title="latency (ms)", data=rows_table(list(names), ["ms"] * len(names), [row])))
        if data.get("histogram"):
            blocks.append(Block("histogram", title="latency histogram", data={"histogram": data["histogram"]}))
        for error in data.get("errors") or []:
            blocks.append(Block("text", f"✗ {redact(str(error))}"))
    elif kind == "service" and "base_url" in data:
        blocks.append(Block("text", f"{data['base_url']} (pid {data.get('pid')}) answered "
                                    f"{data.get('ready_status_code')} on {data.get('wait_for', '/')} after "
                                    f"{data.get('startup_s')} s"))
        missing = data.get("missing_output") or []
        if missing:
            blocks.append(Block("text", "never printed: " + ", ".join(f'"{m}"' for m in missing)))
        lines = list(data.get("first_lines") or [])
        if lines:
            blocks.append(Block("output", redact(path("\n".join(lines))), title="its first lines of output"))
        if data.get("output_tail"):
            blocks.append(Block("output", redact(path(str(data["output_tail"]))), title="its latest output"))
    elif kind == "http" and "status" in data:
        blocks.append(Block("text", f"{data.get('method', 'GET')} {redact(str(data.get('url', '')))}\n"
                                    f"→ {data['status']} {data.get('reason', '')} in {_ms(data.get('elapsed_ms'))}"
                                    + (f" · {data['headers']['content-type']}" if (data.get("headers") or {}).get("content-type") else "")))
        if data.get("request_json") is not None:
            blocks.append(Block("output", pretty_json(data["request_json"]), title="sent"))
        if data.get("json") is not None:
            blocks.append(Block("output", pretty_json(data["json"]), title="body"))
        elif data.get("body_text"):
            blocks.append(Block("output", redact(str(data["body_text"])), title="body"))
    elif kind == "monitor" and "counts" in data:
        blocks.append(Block("text", f"{data.get('source')}: {data.get('lines_seen', 0):,} lines in "
                                    f"{data.get('elapsed_s', 0):,.1f} of {data.get('duration_s', 0):,.0f} s · "
                                    f"{data.get('match_count', 0)} matching · blocked sessions max "
                                    f"{data.get('blocked_max', 0)} · deadlocks {data.get('deadlocks', 0)}"
                                    + (f" · {data['lines_lost']} lines lost" if data.get("lines_lost") else "")))
        rows = [{"pattern": p, "lines": n} for p, n in (data.get("counts") or {}).items()]
        blocks.append(Block("table", title="matching lines per pattern",
                            data=rows_table(["pattern", "lines"], ["text", "int4"], rows)))
        matches = [{"pattern": m.get("pattern"), "line": redact(str(m.get("line")))} for m in data.get("matches") or []]
        if matches:
            blocks.append(Block("table", title="matches", data=rows_table(["pattern", "line"], ["text", "text"], matches)))
        for problem in data.get("sample_errors") or []:
            blocks.append(Block("text", f"a database sample failed: {redact(str(problem))}"))
    return blocks


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
        blocks += migration_blocks(data)
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
    blocks += _present_appcheck(kind, data, path)
    return [b for b in blocks if b.text or b.data is not None]


# --- verdicts in words -------------------------------------------------------------------
# The engine records evidence as "repr(measured) op repr(expected)" (or the value alone), each
# side cut at 120 characters. Shown raw, a dict or a hash compared with itself is unreadable; so
# the sides are read back (when whole) and said in words, with a small table for dicts and lists.

_OPS = (" == ", " != ", " <= ", " >= ", " < ", " > ", " not in ", " in ")
_HASH = re.compile(r"[0-9a-f]{40,64}")
TABLE_ROWS = 8  # evidence tables stay small: the step's own results hold the rest


@dataclass
class Evidence:
    text: str
    columns: list[str] | None = None
    rows: list[list[str]] | None = None
    more: int = 0  # rows left out


def _split(evidence: str) -> tuple[Any, str, Any] | None:
    for op in _OPS:
        start = 0
        while (at := evidence.find(op, start)) != -1:
            try:
                return ast.literal_eval(evidence[:at]), op.strip(), ast.literal_eval(evidence[at + len(op):])
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                start = at + 1
    return None


def _word(value: Any) -> str:
    if isinstance(value, str):
        return f"{value[:8]}…" if _HASH.fullmatch(value) else value
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "none"}[value]
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_word(v) for v in value) or "none"
    return str(value)


def _table(columns: list[str], rows: list[list[Any]]) -> tuple[list[str], list[list[str]], int]:
    shown = [[_word(v) for v in row] for row in rows[:TABLE_ROWS]]
    return columns, shown, max(0, len(rows) - TABLE_ROWS)


def readable_evidence(check: Check) -> Evidence:
    """One check's evidence, said briefly: what was measured against what was expected."""
    raw = check.evidence
    parts = _split(raw)
    if parts is None:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return Evidence(raw)
        if isinstance(value, bool):
            return Evidence("holds" if value else "does not hold")
        return Evidence(f"measured {_word(value)}")
    left, op, right = parts
    if op == "==" and left == right:
        if isinstance(left, str) and _HASH.fullmatch(left):
            return Evidence(f"the same hash on both sides (sha256 {left[:8]}…)")
        if isinstance(left, dict):
            columns, rows, more = _table(["", "value"], [[k, v] for k, v in left.items()])
            return Evidence(f"{len(left)} values, all as expected", columns, rows, more)
        if isinstance(left, (list, tuple)):
            if len(_word(left)) <= 60:
                return Evidence(f"{len(left)} as expected: {_word(left)}")
            columns, rows, more = _table([""], [[v] for v in left])
            return Evidence(f"{len(left)} items, all as expected", columns, rows, more)
        return Evidence(f"measured {_word(left)}, as expected")
    if op == "==" and isinstance(left, dict) and isinstance(right, dict):
        keys = list(left) + [k for k in right if k not in left]
        differ = [k for k in keys if left.get(k) != right.get(k)]
        columns, rows, more = _table(["", "measured", "expected"], [[k, left.get(k), right.get(k)] for k in differ])
        return Evidence(f"{len(differ)} of {len(keys)} values differ", columns, rows, more)
    if op == "==" and isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        try:
            missing = [v for v in right if v not in left]
            extra = [v for v in left if v not in right]
        except TypeError:
            missing, extra = [], []
        if missing or extra:
            return Evidence("; ".join(p for p in (f"missing: {_word(missing)}" if missing else "",
                                                  f"not expected: {_word(extra)}" if extra else "") if p))
    if op == "==":
        return Evidence(f"measured {_word(left)}, expected {_word(right)}")
    words = {"!=": "must differ from", "<=": "at most", ">=": "at least", "<": "below", ">": "above",
             "in": "among", "not in": "not among"}
    return Evidence(f"measured {_word(left)} (needs to be {words[op]} {_word(right)})")
