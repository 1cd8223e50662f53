"""The final verification queries' output, as psql prints it (the step the runbook's [report.final_queries] names)."""

from __future__ import annotations

from wizard.exports.context import NOT_RUN, Attempt, ExportContext, fmt_duration, fmt_ts
from wizard.exports.describe import short
from wizard.exports.psql import aligned

KEY = "verification"


def _rule(text: str, char: str = "=") -> list[str]:
    return [text, char * len(text)]


def _attempt_block(ctx: ExportContext, attempt: Attempt) -> list[str]:
    out = [f"Step {attempt.step}: {attempt.title}",
           f"Ran on {ctx.env_line(attempt.env)}" + (f", server {ctx.server_text(attempt.fingerprint)}" if attempt.fingerprint else "")
           + (f", PostgreSQL {attempt.fingerprint.get('server_version')}" if attempt.fingerprint else ""),
           f"Started {fmt_ts(attempt.started_at)} · {fmt_duration(attempt.duration_s)} · verdict: {attempt.status}"]
    result = attempt.result
    out.append("")
    data = attempt.data
    if "queries" in data:
        section_shown = ""
        for name, description, section, table, sql in ctx.named_queries(attempt):
            if section and section != section_shown:
                out += [f"-- {section}", ""]
                section_shown = section
            out.append(f"-- {name}" + (f": {description}" if description else ""))
            if sql:
                out += sql.strip().split("\n")
            out += [aligned(table).rstrip("\n"), ""]
        if data.get("failed_query"):
            out += [f"-- stopped at query {data['failed_query']}", ""]
    elif "columns" in data:
        out += [sql for sql in attempt.sql] + [aligned(data).rstrip("\n"), ""]
    if result is not None and result.error:
        out += [f"ERROR: {short(result.error, 600)}", ""]
    if result is not None and result.checks:
        out.append("Checks")
        for check in result.checks:
            out.append(f"  [{'PASS' if check.ok else 'FAIL'}] {check.describe}: {short(check.evidence)}")
        out.append("")
    return out


def render(ctx: ExportContext) -> str:
    declared = ctx.report.final_queries
    assert declared is not None  # exported only when the runbook declares it
    final_step, task_id = declared.step, ctx.task_of(declared.step)
    out = _rule(f"VERIFICATION RESULTS - FINAL (Week {ctx.week}, task {task_id}: {declared.what})")
    out.append(f"Written by migration-wizard export from the journal {ctx.journal_path.name} (run {ctx.run_id}), "
               f"as of its last event, {fmt_ts(ctx.last_event_at)}.")
    out.append(f"Hash chain: {ctx.integrity_text()}")
    if ctx.rehearsal:
        out.append("REHEARSAL on embedded sandbox clusters: not the real production database.")
    out.append("")
    final = ctx.last(final_step)
    if final is not None:
        attempts = [a for a in ctx.attempts if a.step == final_step and a.result is not None]
        if len(attempts) > 1:
            out.append(f"The final verification ran {len(attempts)} times; the latest run is shown.")
            out.append("")
        out += _attempt_block(ctx, final)
        return "\n".join(out).rstrip() + "\n"
    out.append(f"Task {task_id} ({declared.what}): {NOT_RUN}.")
    # Until the final verification has run, the latest verification so far is shown, clearly labelled.
    for earlier_id in declared.earlier_tasks:
        earlier = [a for a in ctx.attempts if a.task == earlier_id and a.kind == "query" and a.result is not None]
        if not earlier:
            continue
        latest: dict[str, Attempt] = {}
        for attempt in earlier:
            latest[attempt.step] = attempt
        task = ctx.runbook.task(earlier_id)
        out += ["", f"Until then, the latest verification queries run: task {earlier_id} ({task.title}).",
                "These are NOT the final verification.", ""]
        for attempt in latest.values():
            out += _rule(f"{attempt.step}", "-") + _attempt_block(ctx, attempt)
        break
    return "\n".join(out).rstrip() + "\n"
