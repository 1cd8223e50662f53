"""The week's final report, filled from measured facts; its sections are those the runbook's [report] declares."""

from __future__ import annotations

from typing import Any

from wizard.exports.context import (NOT_RUN, ExportContext, core_order, fmt_duration, fmt_minutes, fmt_ts, mark, md_table,
                                    week_name, week_number, word)
from wizard.runbook.model import Runbook
from wizard.journal.fold import BAD_TASK_STATES, NOT_STARTED, OK_TASK_STATES, Attempt
from wizard.exports.describe import short
from wizard.exports.migration_log import header

KEY = "final_report"


# --- measured facts, each with where it was measured (the runbook's [report] names them) ----------

def end_table_count(ctx: ExportContext) -> tuple[Any, str]:
    return ctx.first_measured(ctx.report.end)


def _applied(ctx: ExportContext) -> str | None:
    """The removal migration's latest apply measured (the runbook lists them staging first)."""
    removal = ctx.report.removal
    return next((f for f in reversed(removal.applied) if ctx.fact(f)), None) if removal else None


def expected_after_removal(ctx: ExportContext, apply_fact: str | None) -> int | None:
    removal = ctx.report.removal
    applied, plan = (ctx.fact(apply_fact) if apply_fact else None), (ctx.fact(removal.plan) if removal else None)
    if not applied or not plan or not applied.get("before"):
        return None
    return len(set(applied["before"].get("tables") or []) - set(plan.get("dropped_tables") or []))


def _env_of(ctx: ExportContext, fact: str) -> str:
    attempt = ctx.fact_attempt(fact)
    return attempt.env if attempt else "?"


def overall(ctx: ExportContext) -> tuple[str, list[str]]:
    tasks = ctx.runbook.tasks()
    verdicts = {t.id: ctx.state.task_state(t) for t in tasks}
    bad = [t for t in tasks if verdicts[t.id] in BAD_TASK_STATES]
    if bad:
        task = bad[0]
        step = next((a.step for a in reversed(ctx.task_time(task).attempts) if not a.ok), task.id)
        return f"❌ STOPPED: task {task.id} ({task.title}) did not pass (step `{step}`)", [t.id for t in bad]
    if all(v in OK_TASK_STATES for v in verdicts.values()):
        return "✅ COMPLETE & SUCCESSFUL (every task of the runbook passed)", []
    done = sum(1 for v in verdicts.values() if v in OK_TASK_STATES)
    last_day = None
    for day in ctx.runbook.days:
        if any(verdicts[t.id] != NOT_STARTED for t in day.tasks):
            last_day = day.id
    reached = f"reached {last_day.capitalize()}" if last_day else NOT_RUN
    return f"⏳ IN PROGRESS: {reached}; {done} of {len(tasks)} tasks passed", []


def day_status(ctx: ExportContext, day) -> str:  # noqa: ANN001
    return ctx.day_status_text(day)


# --- sections -------------------------------------------------------------------------------------

def summary(ctx: ExportContext) -> list[str]:
    out = ["## Summary", ""]
    base = ctx.fact(ctx.report.start) if ctx.report.start else None
    measured = ctx.fact_attempt(ctx.report.start)
    start = f"{base.get('scalar')} tables on {measured.env}, measured by {measured.task}" if base and measured else NOT_RUN
    end, where = end_table_count(ctx)
    first_day = ctx.runbook.days[0].id.capitalize() if ctx.runbook.days else "Start"
    out.append(f"- Start: {first_day} ({start})")
    out.append(f"- End: {f'{end} tables ({where})' if end is not None else NOT_RUN}")
    status, _ = overall(ctx)
    out.append(f"- Status: {status}")
    for day in ctx.runbook.days:
        out.append(f"  - {day.id.capitalize()}: {day_status(ctx, day)}")
    if ctx.left_out:
        out.append(f"- Left out of the rehearsal (they need the application checks): tasks {', '.join(ctx.left_out)}")
    return out


def migrations(ctx: ExportContext) -> list[str]:
    out = ["## Migrations Executed", ""]
    runs = [a for a in ctx.attempts if a.kind == "migration" and a.result is not None]
    if not runs:
        return out + [f"- {NOT_RUN}"]
    rows = []
    for attempt in runs:
        d = attempt.data
        before, after = d.get("before") or {}, d.get("after") or {}
        counts = f"{before.get('table_count', '?')} → {after.get('table_count', '?')}" if before else "?"
        core = "unchanged" if before and before.get("core_counts") == after.get("core_counts") else ("changed" if before else "?")
        mode = "dry run, rolled back" if d.get("mode") == "dry_run" else ("applied" if attempt.ok else "rolled back")
        rows.append([f"{mark(attempt.status)} {d.get('file', attempt.step)}", attempt.env, mode, attempt.status, counts,
                     len(d.get("tables_removed") or []), core, fmt_duration(attempt.duration_s), fmt_ts(attempt.finished_at)])
    return out + md_table(["Migration", "Environment", "Mode", "Result", "Tables", "Removed", "Core rows", "Took", "Finished"], rows)


def verification(ctx: ExportContext) -> list[str]:
    out = ["## Verification Results", ""]
    report, removal = ctx.report, ctx.report.removal
    end, where = end_table_count(ctx)
    if report.end or removal:
        apply_fact = _applied(ctx)
        expected = expected_after_removal(ctx, apply_fact)
        if end is None:
            out.append(f"- Table count: {NOT_RUN}")
        else:
            verdict = "✅" if expected is not None and end == expected else ("❌" if expected is not None else "")
            exp = (f"expected: {expected} = tables on {_env_of(ctx, apply_fact)} before {removal.migration} minus the tables "  # type: ignore[union-attr, arg-type]
                   f"{removal.migration} drops" if expected is not None else "expected: not derivable yet")  # type: ignore[union-attr]
            out.append(f"- Table count: {end} ({exp}; measured {where}) {verdict}".rstrip())
    if report.removed_present:
        remaining, src = ctx.first_measured(report.removed_present)
        out.append(f"- Removed tables still present: {remaining} (expected: 0; {src}) {'✅' if remaining == 0 else '❌'}"
                   if remaining is not None else f"- Removed tables still present: {NOT_RUN}")
    if report.data_loss:
        before, after, label = data_loss_pair(ctx)
        if before and after:
            same = before == after
            out.append(f"- Data integrity: core row counts {'identical' if same else 'DIFFERENT'} before and after ({label}) "
                       f"{'✅' if same else '❌'}")
        else:
            out.append(f"- Data integrity: {NOT_RUN}")
    if report.rls:
        policies, _ = ctx.first_measured(report.rls)
        out.append(f"- RLS policies: {policies} active ✅" if policies else f"- RLS policies: {NOT_RUN if policies is None else 'none found ❌'}")
    out += application_lines(ctx)
    if report.test_suite:
        suite, measured = ctx.fact(report.test_suite), ctx.fact_attempt(report.test_suite)
        if suite and measured:
            out.append(f"- Test suite: {suite.get('passed')}/{suite.get('total')} passed, {len(suite.get('new_failures') or [])} new failures "
                       f"({measured.task}) {'✅' if not suite.get('new_failures') else '❌'}")
        else:
            out.append(f"- Test suite: {NOT_RUN}")
    return out


def application_states(ctx: ExportContext) -> list[str]:
    declared = ctx.report.application
    return [ctx.state.task_state(t) for t in ctx.runbook.tasks() if declared and t.id in declared.tasks]


def application_lines(ctx: ExportContext) -> list[str]:
    """The application's checks, only when the runbook declares some: all passed, one failed, or not run."""
    if ctx.report.application is None:
        return []
    app = application_states(ctx)
    if app and all(v in OK_TASK_STATES for v in app):
        return [f"- Application: {ctx.report.application.passed} ✅"]
    if any(v in BAD_TASK_STATES for v in app):
        return ["- Application: a check failed ❌"]
    return [f"- Application: {NOT_RUN} ({sum(v in OK_TASK_STATES for v in app)} of {len(app)} application tasks passed)"]


def removed_tables(ctx: ExportContext) -> list[str]:
    removal = ctx.report.removal
    if removal is None:
        return []
    mig = removal.migration
    plan = ctx.fact(removal.plan)
    envs = [(fact, _env_of(ctx, fact)) for fact in removal.applied if ctx.fact(fact)]
    parsed = list((plan or {}).get("dropped_tables") or [])
    count = len(parsed) if plan else None
    out = [f"## Removed Tables ({count if count is not None else NOT_RUN} parsed from {mig})", ""]
    if not plan:
        return out + [f"- {mig} not parsed yet: {NOT_RUN}"]
    removed_by = {fact: set(ctx.fact(fact).get("tables_removed") or []) for fact, _ in envs}  # type: ignore[union-attr]
    names = sorted(set(parsed) | set().union(*removed_by.values()) if removed_by else set(parsed))
    declared = set(ctx.runbook.facts.get(removal.listed) or []) if removal.listed else set()
    rows = []
    for table in names:
        row = [table, "yes" if table in parsed else "NO"] + (["yes" if table in declared else "no"] if removal.listed else [])
        row += ["gone ✅" if table in removed_by[fact] else ("still there ❌" if table in parsed else "—") for fact, _ in envs]
        rows.append(row)
    out += md_table([ "Table", f"Dropped by {mig} (parsed)"] + (["Listed by the runbook"] if removal.listed else [])
                    + [f"Removed on {env} (measured)" for _, env in envs], rows)
    out.append("")
    for fact, env in envs:
        d = ctx.fact(fact) or {}
        out.append(f"- Measured on {env}: {d['before']['table_count']} tables before {mig} → {d['after']['table_count']} after; "
                   f"{len(d.get('tables_removed') or [])} removed, {len(d.get('tables_added') or [])} added")
    if not envs:
        out.append(f"- Measured before/after: {NOT_RUN}")
    return out


class _Fields(dict):  # a result's fields for the runbook's wording; a field it lacks reads "?"
    def __missing__(self, key: str) -> str:
        return "?"


def item_verdict(ctx: ExportContext, steps: tuple[str, ...]) -> tuple[str, Attempt | None]:
    """passed / failed / NOT_RUN for a declared check, from its steps' latest results, and the first one."""
    latest = [ctx.last(step) for step in steps]
    ran = [a for a in latest if a is not None]
    if any(not a.ok for a in ran):
        return "failed", next(a for a in ran if not a.ok)
    if ran and len(ran) == len(latest):
        return "passed", ran[0]
    return NOT_RUN, None


def checks(ctx: ExportContext) -> list[str]:
    declared = ctx.report.checks
    if declared is None:
        return []
    out = [f"## {declared.title} ({len(declared.items)} total)", ""]
    plan = ctx.fact(declared.plan) if declared.plan else None
    if plan:
        out.append(f"- {declared.plan_label} (parsed): creates {', '.join(plan.get('created_tables') or []) or 'none'}; rebuilds "
                   f"{', '.join(plan.get('rebuilt_tables') or []) or 'none'}; alters {', '.join(plan.get('altered_tables') or []) or 'none'}; "
                   f"drops {', '.join(plan.get('dropped_tables') or []) or 'none'}")
    for item in declared.items:
        verdict, attempt = item_verdict(ctx, item.steps)
        if attempt is None:
            out.append(f"- {item.name}: {NOT_RUN}")
            continue
        text = item.passed.format_map(_Fields(attempt.data)) if verdict == "passed" else item.failed
        out.append(f"- {item.name}: {text} {'✅' if verdict == 'passed' else '❌'} ({attempt.task} on {attempt.env})")
    for table in declared.tables:
        attempt = ctx.last(table.step)
        if attempt is None:
            continue
        rows = attempt.data.get("rows") or []
        out += ["", table.caption, ""]
        if table.expected:
            expected = list(ctx.runbook.facts.get(table.expected) or [])
            cells = []
            for i, r in enumerate(rows):
                want = expected[i] if i < len(expected) else ""
                cells.append([i + 1, *(r.get(c) for c in table.columns), want, "✅" if r.get(table.columns[0]) == want else "❌"])
            out += md_table(["#", *table.headers, "Expected", ""], cells)
        else:
            out += md_table(list(table.headers), [[r.get(c) for c in table.columns] for r in rows])
    steps = {s for item in declared.items for s in item.steps}
    latest: dict[str, Attempt] = {}
    for attempt in ctx.attempts:
        if attempt.step in steps and attempt.result is not None:
            latest[attempt.step] = attempt
    if latest and declared.checks_caption:
        out += ["", declared.checks_caption, ""]
        for attempt in latest.values():
            for check in attempt.result.checks:  # type: ignore[union-attr]
                out.append(f"- {'✅' if check.ok else '❌'} `{attempt.step}`: {check.describe} — `{short(check.evidence)}`")
    for fact in declared.applied:
        applied = ctx.fact(fact)
        if applied:
            same = applied['before'].get('core_counts') == applied['after'].get('core_counts')
            out.append(f"- {declared.plan_label} on {_env_of(ctx, fact)}: {applied['before']['table_count']} → "
                       f"{applied['after']['table_count']} tables, core rows {'unchanged' if same else 'CHANGED'}")
    return out


def data_loss_pair(ctx: ExportContext) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The first before/after pair the runbook lists (widest first) with both sides measured, else its last."""
    pairs = ctx.report.data_loss.pairs if ctx.report.data_loss else ()
    found: tuple[dict[str, Any], dict[str, Any], str] = ({}, {}, NOT_RUN)
    for pair in pairs:
        before = next((c for s in pair.before if (c := ctx.counts(s.fact, s.path))), {})
        after = next((c for s in pair.after if (c := ctx.counts(s.fact, s.path))), {})
        found = (before, after, pair.label)
        if before and after:
            break
    return found


def data_loss(ctx: ExportContext) -> list[str]:
    if ctx.report.data_loss is None:
        return []
    out = ["## Data Loss Assessment", ""]
    columns = [(c.label, ctx.counts(c.fact, c.path)) for c in ctx.report.data_loss.columns]
    columns = [(label, counts) for label, counts in columns if counts]
    if not columns:
        return out + [f"- {NOT_RUN}"]
    tables = core_order(ctx, {t: 0 for _, counts in columns for t in counts})
    before, after, label = data_loss_pair(ctx)
    rows = []
    total_lost = 0
    for table in tables:
        lost = None
        if before and after and table in before and table in after:
            lost = int(before[table]) - int(after[table])
            total_lost += max(lost, 0)
        rows.append([table] + [counts.get(table, "—") for _, counts in columns] + [lost if lost is not None else "—"])
    out += md_table(["Table"] + [label for label, _ in columns] + ["Rows lost"], rows)
    out.append("")
    if before and after:
        out.append(f"- TOTAL: {total_lost} rows lost ({label}) {'✅' if total_lost == 0 else '❌'}")
    else:
        out.append(f"- TOTAL: {NOT_RUN} (no before/after pair measured yet)")
    return out


def load_test_lines(data: dict[str, Any], attempt: Attempt | None, task: str) -> list[str]:
    """The wizard's own load step: what it sent, what it measured, and the runbook's targets as judged."""
    where = f" on {attempt.env}" if attempt is not None else ""
    out = [
        f"Load test ({task}{where}): {data.get('requests')} requests, {data.get('concurrency')} at a time, "
        f"{data.get('completed')} answered in {data.get('total_s')} s:",
        f"- Requests per second: {data.get('requests_per_s')}",
        f"- Failed requests: {data.get('failed')}; answers other than 2xx: {data.get('non_2xx')}",
        f"- Mean time per request: {data.get('mean_ms')} ms",
        f"- Latency: p50 {data.get('p50_ms')} ms · p95 {data.get('p95_ms')} ms · p99 {data.get('p99_ms')} ms · "
        f"max {data.get('max_ms')} ms",
    ]
    if attempt is not None and attempt.result is not None:
        out += [f"- Target: {c.describe} {'✅' if c.ok else '❌'}" for c in attempt.result.checks]
    return out


def performance(ctx: ExportContext) -> list[str]:
    out = ["## Performance Impact", ""]
    step_id = ctx.report.load_test
    if step_id:
        task = ctx.task_of(step_id)
        attempt = ctx.last(step_id, ok=True) or ctx.last(step_id)
        if attempt is not None and attempt.kind == "load":
            out += load_test_lines(attempt.data, attempt, task)
        elif attempt is not None:  # measured another way (e.g. read off ab's report): its answer as recorded
            out.append(f"- Load test ({task}, {attempt.title}): {attempt.data.get('answer', attempt.status)} {mark(attempt.status)}")
        else:
            out.append(f"- Load test ({task}): {NOT_RUN}")
    runs = [a for a in ctx.attempts if a.kind == "migration" and a.result is not None]
    if runs:
        out += ["", "Migration run times (measured by the wizard, one transaction each):"] if step_id else \
               ["Migration run times (measured by the wizard, one transaction each):"]
        for attempt in runs:
            out.append(f"- {attempt.data.get('file', attempt.step)} on {attempt.env} "
                       f"({'dry run' if attempt.data.get('mode') == 'dry_run' else 'apply'}): {fmt_duration(attempt.duration_s)}")
    if not step_id and not runs:
        out.append(f"- {NOT_RUN}")
    return out


def time_table(ctx: ExportContext) -> list[str]:
    out = ["## Time Table: Estimate vs Actual", "",
           "Actual = time the wizard spent running the task's steps (sum of step durations); the wall clock "
           "runs from the task's first step start to its last step end and includes waiting for the operator.", ""]
    rows = []
    per_day = []
    week_estimate = 0
    week_actual = 0.0
    for day in ctx.runbook.days:
        estimate = sum(t.estimate_minutes for t in day.tasks)
        actual = 0.0
        for task in day.tasks:
            timing = ctx.task_time(task)
            actual += timing.active_s
            rows.append([day.id.capitalize(), f"{task.id} {task.title}", fmt_minutes(task.estimate_minutes),
                         fmt_duration(timing.active_s) if timing.attempts else NOT_RUN,
                         fmt_duration(timing.span_s) if timing.attempts else NOT_RUN,
                         fmt_ts(timing.started) if timing.started else NOT_RUN,
                         fmt_ts(timing.ended) if timing.ended else NOT_RUN,
                         len(timing.attempts),
                         f"{mark(word(timing.state))} {ctx.task_status_text(task)}"])
        week_estimate += estimate
        week_actual += actual
        ran = any(ctx.task_time(t).attempts for t in day.tasks)
        per_day.append([day.id.capitalize(), day.title, fmt_minutes(estimate), fmt_duration(actual) if ran else NOT_RUN, day_status(ctx, day)])
    per_day.append(["**TOTAL**", f"**Week {ctx.week}**", f"**{fmt_minutes(week_estimate)}**", f"**{fmt_duration(week_actual)}**", ""])
    out += ["Per day:", ""] + md_table(["Day", "Title", "Estimated", "Actual", "Status"], per_day)
    out += ["", "Per task:", ""]
    out += md_table(["Day", "Task", "Estimate", "Actual", "Wall clock", "Started", "Ended", "Step runs", "Status"], rows)
    return out


def issues(ctx: ExportContext) -> list[str]:
    out = ["## Issues Met and How They Were Resolved", ""]
    found = False
    for i, attempt in enumerate(ctx.attempts):
        if attempt.status not in BAD_TASK_STATES:
            continue
        found = True
        later = [a for a in ctx.attempts[i + 1:] if a.step == attempt.step and a.env == attempt.env]
        fix = next((a for a in later if a.ok), None)
        result = attempt.result
        what = ""
        if result is not None:
            failed = [c for c in result.checks if not c.ok]
            what = result.error or "; ".join(f"{c.describe} ({short(c.evidence, 120)})" for c in failed)
        else:
            what = "the session ended during this step"
        optional = any(s.id == attempt.step and s.optional for s in ctx.runbook.steps())
        out.append(f"- {mark(attempt.status)} `{attempt.step}` on {attempt.env}, {fmt_ts(attempt.finished_at or attempt.started_at)}: "
                   f"{attempt.status}{' (optional step)' if optional else ''}: {short(what, 400)}")
        for advice in (result.advice if result else []):
            out.append(f"  - Runbook advice: {advice.get('advice', '')}")
        between = [a for a in ctx.attempts[i + 1:] if fix is not None and a.started_seq < fix.started_seq and a.step != attempt.step]
        if fix is not None:
            out.append(f"  - Resolved: passed at {fmt_ts(fix.finished_at)} after {len(later[: later.index(fix) + 1])} more run(s)"
                       + (f"; tasks run in between: {', '.join(sorted({a.task for a in between}, key=_task_key))}" if between else ""))
            answers = [str(ans.get("value")) for ans in fix.answers]
            if answers:
                out.append(f"  - The answer that passed: {', '.join(answers)}")
        else:
            out.append("  - Not resolved yet" + (" (optional: it did not stop the day)" if optional else ""))
    for event in ctx.state.incidents:
        if event.get("type") == "journal_repaired":
            found = True
            out.append(f"- ⚠ {fmt_ts(event.get('ts'))}: a crash had torn the journal's last line ({event.get('bytes')} bytes); "
                       "it was set aside and the run went on")
        elif event.get("type") == "journal_problem_found":
            found = True
            out.append(f"- ❌ {fmt_ts(event.get('ts'))}: on reopening, the journal was found damaged: {short(event.get('note', ''), 300)}")
    if not found:
        out.append("- None: every step that ran passed on its first run.")
    return out


def _task_key(task_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in task_id.split(".") if p.isdigit())


def risk(ctx: ExportContext) -> list[str]:
    out = ["## Risk Assessment", ""]
    backups = [(f, ctx.fact(f)) for f in ctx.report.backups if ctx.fact(f)]
    if backups:
        out.append("- Backup available: ✅ " + "; ".join(f"{(ctx.fact_attempt(f) or Attempt('', '', f, '', '', '', 0)).step}: {d.get('answer')} "
                                                        f"({d.get('answer_source')})" for f, d in backups))
    else:
        out.append(f"- Backup available: {NOT_RUN}")
    dry = [a for a in ctx.attempts if a.kind == "migration" and a.data.get("mode") == "dry_run" and a.ok]
    if dry:
        out.append("- Rollback tested: ✅ dry runs applied and rolled back on " + ", ".join(
            f"{a.data.get('file')} ({a.env})" for a in dry) + "; a restore from backup was not rehearsed (⏳ optional)")
    else:
        out.append(f"- Rollback tested: ⏳ {NOT_RUN}")
    out.append("- Team training: not recorded by the wizard")
    return out


def signoff(ctx: ExportContext) -> list[str]:
    last = ctx.state.last_event
    return ["## Sign-Off", "",
            f"This report reflects the journal `{ctx.journal_path.name}` up to event {last.get('seq', NOT_RUN)} "
            f"(hash `{str(last.get('hash', ''))[:16]}`); `migration-wizard journal verify` checks it.", "",
            "- Backend Lead: ___________  Date: _____",
            "- DevOps Lead: ___________  Date: _____",
            "- QA Lead: ___________  Date: _____"]


def next_steps(ctx: ExportContext) -> list[str]:
    out = ["## Next Steps", ""]
    plan, problem = ctx.next_week_runbook()
    if plan is None:
        nw = ctx.runbook.next_week
        if not nw.get("runbook"):
            return out + ["- None named: this runbook names no next week's runbook ([next_week] runbook), so no checklist is exported."]
        return out + [f"- {nw.get('title', 'The next week')}: its runbook could not be read: {problem}"]
    week, declared = next_week_number(ctx, plan), ctx.report.next
    migrations_ = list(plan.facts.get(declared.migrations) or []) if declared and declared.migrations else []
    span = f" (migrations {migrations_[0].split('_')[0]}-{migrations_[-1].split('_')[0]})" if migrations_ else ""
    out.append(f"- Week {week}: {week_name(plan.title)}{span}")
    if migrations_:
        out.append(f"- Prepare: {len(migrations_)} new migration files")
    out.append(f"- Schedule: Week {week} execution, see {checklist_file(ctx, plan)}")
    return out


def next_week_number(ctx: ExportContext, plan: Runbook) -> int:
    return plan.report.week or week_number(plan.title) or ctx.week + 1


def checklist_file(ctx: ExportContext, plan: Runbook) -> str:
    return str(ctx.runbook.next_week.get("checklist_file") or f"WEEK_{next_week_number(ctx, plan)}_DAILY_CHECKLIST.md")


def render(ctx: ExportContext) -> str:
    out = header(ctx, f"WEEK {ctx.week} MIGRATION - FINAL REPORT")
    for section in (summary, migrations, verification, removed_tables, checks, data_loss, performance, time_table, issues,
                    risk, signoff, next_steps):
        lines = section(ctx)
        out += [""] + lines if lines else []
    return "\n".join(out).rstrip() + "\n"
