"""The week's migration log: the baseline the runbook declares, then every task in runbook order, as journaled."""

from __future__ import annotations

from wizard.exports.context import (NOT_RUN, ExportContext, counts_text, fmt_duration, fmt_minutes, fmt_ts, mark,
                                    md_table, rows_as_map, word)
from wizard.exports.describe import attempt_heading, attempt_meta, check_lines, error_lines, result_lines, short

KEY = "log"
SQL_INLINE_LINES = 15


def header(ctx: ExportContext, title: str) -> list[str]:
    """The provenance block every Markdown export starts with."""
    out = [f"# {title}", ""]
    out.append(f"> Written by `migration-wizard export` from the journal `{ctx.journal_path.name}`. Every number below was "
               "measured or answered during the run and read back from the journal; none was typed into this document.")
    if ctx.rehearsal:
        out += [">", "> **REHEARSAL** on embedded sandbox clusters (sandbox-staging plays staging, sandbox-production plays "
                "production), with the rehearsal's own answers. This is not a record of the real migration."]
    if ctx.verification is not None and not ctx.verification.intact:
        out += [">", f"> **WARNING: the journal's hash chain is broken**: {ctx.verification.first.what}. "  # type: ignore[union-attr]
                "What follows may not be what happened."]
    out += [""]
    out.append(f"- Run `{ctx.run_id}` · {ctx.state.sessions} session(s) · {ctx.state.event_count} events · "
               f"as of the last event, {fmt_ts(ctx.last_event_at)}")
    out.append(f"- Hash chain: {ctx.integrity_text()}")
    recorded = ctx.state.runbook
    if recorded:
        out.append(f"- Runbook: {recorded.get('runbook_title') or ctx.runbook.title} (`{str(recorded.get('runbook_path', '')).rsplit('/', 1)[-1]}`, "
                   f"sha256 `{str(recorded.get('runbook_sha256', ''))[:12]}`)")
    if ctx.runbook_note:
        out.append(f"- Note: {ctx.runbook_note}")
    return out


def environments(ctx: ExportContext) -> list[str]:
    out = ["## Environments", ""]
    if not ctx.envs:
        return out + [f"No database connection yet: {NOT_RUN}."]
    rows = []
    for name in sorted(ctx.envs):
        info = ctx.envs[name]
        e, fp = info.environment, info.fingerprint
        host = str(e.get("host", ""))
        where = (f"socket {host}" if host.startswith("/") else f"{host}:{e.get('port', '')}") + f" db={e.get('dbname', '')}"
        rows.append([name, e.get("kind", "?"), e.get("role", "?"), where, f"PostgreSQL {fp.get('server_version', '?')}",
                     f"{fp.get('system_identifier')}/{fp.get('database')} ({fp.get('source', '?')})", fmt_ts(info.first_connected),
                     info.connections])
    return out + md_table(["Environment", "Kind", "Plays", "Where", "Server", "Fingerprint (system id/db)",
                           "First connected", "Connections"], rows)


def baseline(ctx: ExportContext) -> list[str]:
    declared = ctx.report.baseline
    if declared is None:
        return []
    out = [f"## {declared.title}", ""]

    def source(name: str) -> str:
        attempt = ctx.fact_attempt(name) if name else None
        return f" — `{attempt.step}` on {attempt.env}, {fmt_ts(attempt.finished_at)}" if attempt else ""

    def saved(name: str) -> dict | None:  # type: ignore[type-arg]
        return ctx.fact(name) if name else None

    base = saved(declared.table_count)
    out.append(f"- Current table count (staging): **{base.get('scalar') if base else NOT_RUN}**{source(declared.table_count)}")
    core = saved(declared.core)
    out.append(f"- Core tables (rows): {counts_text(ctx, rows_as_map(core, 'table_name', 'row_count')) if core else NOT_RUN}"
               f"{source(declared.core)}")
    version = saved(declared.version)
    out.append(f"- Server version: {version.get('scalar') if version else NOT_RUN}{source(declared.version)}")
    attempt = ctx.fact_attempt(declared.table_count) if declared.table_count else None
    out.append(f"- Date: {attempt.started_at[:10] if attempt else NOT_RUN}")
    backup = saved(declared.backup)
    answer = ctx.fact_attempt(declared.backup) if declared.backup else None
    out.append(f"- Backup timestamp: {backup.get('answer') if backup else NOT_RUN}"
               + (f" — answered at `{answer.step}` ({backup.get('answer_source')}), {fmt_ts(answer.finished_at)}"
                  if backup and answer else ""))
    env = attempt.env if attempt else None
    if env and env in ctx.envs:
        info = ctx.envs[env]
        e = info.environment
        out.append(f"- Staging DB: {env} · host {e.get('host', '')} · port {e.get('port', '')} · db={e.get('dbname', '')} · user {e.get('user', '')} · "
                   f"system id {info.fingerprint.get('system_identifier')}")
    else:
        out.append(f"- Staging DB: {NOT_RUN}")
    tests = saved(declared.tests)
    tests_text = f"{tests.get('passed')} passed, {tests.get('failed')} failed" if tests else NOT_RUN
    out.append(f"- {declared.tests_label}: {tests_text}{source(declared.tests)}")
    for note in ctx.notes:
        if note.get("backup_time"):
            out.append(f"- Backup taken by the rehearsal: `{note.get('backup_file', '')}` at {note['backup_time']}")
    return out


def sql_lines(texts: list[str]) -> list[str]:
    if not texts:
        return []
    body = "\n\n".join(t.strip() for t in texts)
    lines = body.split("\n")
    block = ["```sql", *lines, "```"]
    if len(lines) <= SQL_INLINE_LINES:
        return ["- SQL run:", "", *block]
    return ["", f"<details><summary>SQL run ({len(texts)} statement batch{'es' if len(texts) != 1 else ''}, {len(lines)} lines)</summary>",
            "", *block, "", "</details>"]


def task_block(ctx: ExportContext, task) -> list[str]:  # noqa: ANN001 - a runbook Task
    timing = ctx.task_time(task)
    status = ctx.task_status_text(task)
    out = [f"### {mark(word(timing.state))} Task {task.id} — {task.title}", ""]
    if not timing.attempts:
        return out + [f"- {status[:1].upper() + status[1:]} (estimate {fmt_minutes(task.estimate_minutes)})."]
    envs = []
    for attempt in timing.attempts:
        if attempt.env not in envs:
            envs.append(attempt.env)
    out.append(f"- Environment: {', '.join(ctx.env_line(e) for e in envs)}")
    out.append(f"- Actual: {fmt_ts(timing.started)} → {fmt_ts(timing.ended)} · {fmt_duration(timing.active_s)} running "
               f"(wall clock {fmt_duration(timing.span_s)}) · estimate {fmt_minutes(task.estimate_minutes)}")
    out.append(f"- Verdict: {status}")
    for attempt in timing.attempts:
        out += ["", f"#### {attempt_heading(ctx, attempt)}", "", attempt_meta(ctx, attempt)]
        out += result_lines(ctx, attempt)
        out += [""] if out[-1] != "" and check_lines(attempt) else []
        out += check_lines(attempt)
        out += error_lines(attempt)
        out += sql_lines(attempt.sql)
    return out


def render(ctx: ExportContext) -> str:
    out = header(ctx, f"Migration Log - Week {ctx.week}")
    base = baseline(ctx)
    out += [""] + environments(ctx) + ([""] + base if base else [])
    for day in ctx.runbook.days:
        passes = [p for p in ctx.state.passes if p.day == day.id]
        out += ["", f"## {day.id.capitalize()} — {day.title}", ""]
        if not passes:
            out.append(f"- {NOT_RUN}")
        for p in passes:
            state = "passed" if p.finished and p.ok else ("stopped" if p.finished else "not finished")
            finished = p.finished_at
            out.append(f"- Pass {p.pass_id} on {ctx.env_line(p.env)}: started {fmt_ts(p.started_at)}, "
                       f"{'ended ' + fmt_ts(finished) + ', ' if finished else ''}{state}")
        for task in day.tasks:
            out += [""] + task_block(ctx, task)
    out += ["", "## Notes", ""]
    notes = [n for n in ctx.notes]
    if not notes:
        out.append("- none")
    for note in notes:
        extra = f" (tasks {', '.join(note['tasks'])})" if isinstance(note.get("tasks"), list) else ""
        out.append(f"- {fmt_ts(note.get('ts'))}{' · ' + note['env'] if note.get('env') else ''}: {short(note.get('text', ''), 400)}{extra}")
    for event in ctx.state.incidents:
        out.append(f"- {fmt_ts(event.get('ts'))}: {event['type'].replace('_', ' ')} — {short(event.get('note') or event.get('step') or '', 300)}")
    return "\n".join(out).rstrip() + "\n"
