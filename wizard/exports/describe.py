"""The results that mattered, per step kind, as Markdown lines (shared by the log and the report)."""

from __future__ import annotations

import json

from typing import Any

from wizard.exports.context import (Attempt, ExportContext, NOT_RUN, cell, counts_text, fmt_duration, fmt_ts, mark,
                                    md_table)

MAX_ROWS = 25
MAX_EVIDENCE = 200


def short(text: Any, limit: int = MAX_EVIDENCE) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def table_lines(table: dict[str, Any], limit: int = MAX_ROWS) -> list[str]:
    columns = list(table.get("columns") or [])
    if not columns:
        return [f"Status: `{table.get('status', '')}`"]
    rows = [[r.get(c) for c in columns] for r in (table.get("rows") or [])[:limit]]
    out = md_table(columns, rows)
    total = int(table.get("row_count") or 0)
    if total > len(rows):
        out.append("")
        out.append(f"({total} rows; the first {len(rows)} shown)")
    else:
        out.append("")
        out.append(f"({total} row{'' if total == 1 else 's'})")
    return out


def _names(items: list[str] | None) -> str:
    return ", ".join(items) if items else "none"


def result_lines(ctx: ExportContext, attempt: Attempt) -> list[str]:
    """What the step measured or was told, in a few lines (tables for queries)."""
    data = attempt.data
    kind = attempt.kind or (attempt.result.kind if attempt.result else "")
    out: list[str] = []
    if attempt.result is None:
        return [f"- No result: the step was {attempt.status} (the session ended before it finished)."]
    if kind == "query":
        if "queries" in data:
            for name, description, section, table, _sql in ctx.named_queries(attempt):
                out += ["", f"**{name}**" + (f": {description}" if description else "")]
                out += [""] + table_lines(table)
            if data.get("failed_query"):
                out += ["", f"Stopped at query `{data['failed_query']}`."]
        elif "columns" in data:
            out += [""] + table_lines(data)
    elif kind == "migration":
        before, after = data.get("before") or {}, data.get("after") or {}
        mode = "dry run (applied, measured, rolled back)" if data.get("mode") == "dry_run" else "applied in one transaction"
        out.append(f"- `{data.get('file', '?')}` · sha256 `{str(data.get('sha256', ''))[:12]}` · {data.get('statements', '?')} statements · {mode}"
                   f" · lock_timeout {data.get('lock_timeout', '?')}, statement_timeout {data.get('statement_timeout', '?')}")
        if before:
            out.append(f"- Public tables: {before.get('table_count', '?')} before → {after.get('table_count', '?') if after else '?'} after")
            out.append(f"- Tables removed: {_names(data.get('tables_removed'))}")
            out.append(f"- Tables added: {_names(data.get('tables_added'))}")
            out.append(f"- Core rows before: {counts_text(ctx, before.get('core_counts'))}")
            out.append(f"- Core rows after: {counts_text(ctx, after.get('core_counts'))}")
            out.append(f"- Schema changed: {'yes' if data.get('schema_changed') else 'no'} · rolled back: {'yes' if data.get('rolled_back') else 'no'}")
        if data.get("notices"):
            out.append(f"- Server notices: {short('; '.join(data['notices']), 400)}")
    elif kind == "file_check":
        if not data.get("exists", True):
            out.append(f"- `{data.get('path', '?')}` does not exist")
        else:
            name = str(data.get("path", "?")).rsplit("/", 1)[-1]
            out.append(f"- `{name}`: {data.get('lines', '?')} lines, {data.get('statements', '?')} statements, sha256 `{str(data.get('sha256', ''))[:12]}`")
            if any(k in data for k in ("created_tables", "altered_tables", "dropped_tables")):
                out.append(f"- Parsed: creates {_names(data.get('created_tables'))}; alters {_names(data.get('altered_tables'))}; "
                           f"drops {_names(data.get('dropped_tables'))}")
    elif kind == "code_search":
        out.append(f"- {data.get('match_count', '?')} matches in {data.get('files_scanned', '?')} files, for "
                   f"{len(data.get('tables') or [])} tables parsed from `{str(data.get('tables_source', '?')).rsplit('/', 1)[-1]}`")
        for match in (data.get("matches") or [])[:10]:
            if isinstance(match, dict):
                out.append(f"  - `{match.get('file')}:{match.get('line')}` ({match.get('table', '?')}): `{short(match.get('text', ''), 120)}`")
            else:
                out.append(f"  - `{short(cell(match), 160)}`")
    elif kind == "command":
        argv = data.get("argv") or []
        shown = " ".join(["python" if i == 0 and str(a).endswith(("python", "python3")) else str(a) for i, a in enumerate(argv)])
        out.append(f"- `{shown}` → exit code {data.get('exit_code', '?')}")
        if "passed" in data:
            out.append(f"- pytest: {data.get('passed', 0)} passed, {data.get('failed', 0)} failed, {data.get('errors', 0)} errors"
                       f" ({data.get('summary', '')}); new failures: {len(data.get('new_failures') or [])}")
    elif kind == "attest":
        for answer in attempt.answers or [{"value": data.get("answer"), "source": data.get("answer_source")}]:
            out.append(f"- Answer: **{cell(answer.get('value'))}** ({answer.get('source') or 'operator'})")
    elif kind == "service":
        out.append(f"- `{' '.join(str(a) for a in data.get('argv') or [])}` · pid {data.get('pid', '?')} · "
                   f"{data.get('base_url', '?')} answered {data.get('ready_status_code', '?')} after {data.get('startup_s', '?')} s")
        if data.get("missing_output"):
            out.append(f"- Expected output not seen: {_names(data['missing_output'])}")
    elif kind == "http":
        out.append(f"- `{data.get('method', '?')} {data.get('url', '?')}` → {data.get('status', 'no answer')} "
                   f"{data.get('reason', '')} in {data.get('elapsed_ms', '?')} ms".rstrip())
        if data.get("json") is not None:
            out.append(f"- Body: `{short(json.dumps(data['json'], sort_keys=True), 300)}`")
    elif kind == "load":
        out.append(f"- {data.get('requests', '?')} requests, {data.get('concurrency', '?')} at a time: "
                   f"{data.get('requests_per_s', '?')} requests/s, {data.get('failed', '?')} failed, "
                   f"{data.get('non_2xx', '?')} not 2xx")
        out.append(f"- Latency: mean {data.get('mean_ms', '?')} ms · p50 {data.get('p50_ms', '?')} · "
                   f"p95 {data.get('p95_ms', '?')} · p99 {data.get('p99_ms', '?')} · max {data.get('max_ms', '?')} ms")
    elif kind == "monitor":
        counts = ", ".join(f"{p}: {n}" for p, n in (data.get("counts") or {}).items()) or "none"
        out.append(f"- Watched {data.get('source', '?')} for {data.get('elapsed_s', '?')} s: {data.get('lines_seen', '?')} lines; "
                   f"matches {counts}")
        out.append(f"- Database samples: {data.get('samples', '?')} · most blocked sessions {data.get('blocked_max', '?')} · "
                   f"deadlocks {data.get('deadlocks', '?')}")
        for match in (data.get("matches") or [])[:5]:
            out.append(f"  - `{short(str(match.get('line', '')), 160)}`")
    else:
        keys = ", ".join(sorted(data)) or "no data"
        out.append(f"- Recorded: {keys}")
    return out


def check_lines(attempt: Attempt) -> list[str]:
    result = attempt.result
    if result is None:
        return []
    out = [f"  - {'✅' if c.ok else '❌'} {c.describe} — `{short(c.evidence)}`" for c in result.checks]
    return (["- Checks:"] + out) if out else []


def error_lines(attempt: Attempt) -> list[str]:
    result = attempt.result
    if result is None or result.ok:
        return []
    out = []
    if result.error:
        out.append(f"- Error: `{short(result.error, 400)}`")
    for advice in result.advice:
        out.append(f"- Runbook advice ({advice.get('problem', '')}): {advice.get('advice', '')}")
    return out


def attempt_heading(ctx: ExportContext, attempt: Attempt) -> str:
    return f"{mark(attempt.status)} `{attempt.step}` — {attempt.title or attempt.step}"


def attempt_meta(ctx: ExportContext, attempt: Attempt) -> str:
    where = ctx.env_line(attempt.env)
    if attempt.fingerprint:
        where += f", server {ctx.server_text(attempt.fingerprint)}"
    return (f"- {attempt.status} · on {where} · started {fmt_ts(attempt.started_at)} · "
            f"ended {fmt_ts(attempt.finished_at) if attempt.finished_at else NOT_RUN} · {fmt_duration(attempt.duration_s)}")
