"""MIGRATION_WEEK1_FINAL_REPORT.md: the runbook's final report (task 5.5), filled from measured facts."""

from __future__ import annotations

from typing import Any

from wizard.exports.context import (NOT_RUN, ExportContext, core_order, fmt_duration, fmt_minutes, fmt_ts, mark, md_table,
                                    rows_as_map, word)
from wizard.journal.fold import BAD_TASK_STATES, NOT_STARTED, OK_TASK_STATES, Attempt
from wizard.exports.describe import short
from wizard.exports.migration_log import header

FILENAME = "MIGRATION_WEEK1_FINAL_REPORT.md"


# --- measured facts, each with where it was measured ----------------------------------------------

def _query(ctx: ExportContext, fact: str, name: str) -> dict[str, Any] | None:
    data = ctx.fact(fact)
    return ((data or {}).get("queries") or {}).get(name)


def end_table_count(ctx: ExportContext) -> tuple[Any, str]:
    final = _query(ctx, "final_verification", "table_count")
    if final:
        return final.get("scalar"), "5.4 final verification on production"
    for fact, where in (("prod_table_count", "4.7 on production"), ("staging_table_count", "2.5 on staging")):
        data = ctx.fact(fact)
        if data:
            return data.get("scalar"), where
    for fact, where in (("prod_m012_apply", "after 012 on production (4.5)"), ("m012_apply", "after 012 on staging (2.4)")):
        data = ctx.fact(fact)
        if data and data.get("after"):
            return data["after"].get("table_count"), where
    return None, NOT_RUN


def expected_after_012(ctx: ExportContext, apply_fact: str) -> int | None:
    applied, plan = ctx.fact(apply_fact), ctx.fact("m012_plan")
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
    base = ctx.fact("baseline")
    start = f"{base.get('scalar')} tables on {_env_of(ctx, 'baseline')}, measured by 1.6" if base else NOT_RUN
    end, where = end_table_count(ctx)
    out.append(f"- Start: Monday ({start})")
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
    end, where = end_table_count(ctx)
    apply_fact = "prod_m012_apply" if ctx.fact("prod_m012_apply") else "m012_apply"
    expected = expected_after_012(ctx, apply_fact)
    if end is None:
        out.append(f"- Table count: {NOT_RUN}")
    else:
        verdict = "✅" if expected is not None and end == expected else ("❌" if expected is not None else "")
        exp = (f"expected: {expected} = tables on {_env_of(ctx, apply_fact)} before 012 minus the tables 012 drops"
               if expected is not None else "expected: not derivable yet")
        out.append(f"- Table count: {end} ({exp}; measured {where}) {verdict}".rstrip())
    remaining = None
    final = _query(ctx, "final_verification", "removed_tables_present")
    if final:
        remaining, src = final.get("row_count"), "5.4"
    elif ctx.fact("prod_removed_present"):
        remaining, src = ctx.fact("prod_removed_present").get("scalar"), "4.7 on production"  # type: ignore[union-attr]
    elif ctx.fact("staging_removed_present"):
        remaining, src = ctx.fact("staging_removed_present").get("row_count"), "2.5 on staging"  # type: ignore[union-attr]
    out.append(f"- Removed tables still present: {remaining} (expected: 0; {src}) {'✅' if remaining == 0 else '❌'}"
               if remaining is not None else f"- Removed tables still present: {NOT_RUN}")
    before, after, label = data_loss_pair(ctx)
    if before and after:
        same = before == after
        out.append(f"- Data integrity: core row counts {'identical' if same else 'DIFFERENT'} before and after ({label}) {'✅' if same else '❌'}")
    else:
        out.append(f"- Data integrity: {NOT_RUN}")
    policies = _query(ctx, "final_verification", "rls_policies") or ctx.fact("prod_rls_policies")
    out.append(f"- RLS policies: {policies.get('row_count')} active ✅" if policies and policies.get("row_count")
               else f"- RLS policies: {NOT_RUN if not policies else 'none found ❌'}")
    app_tasks = [t for t in ctx.runbook.tasks() if t.id in ("3.2", "3.3", "3.4", "3.5", "3.6", "5.1", "5.2")]
    app = [ctx.state.task_state(t) for t in app_tasks]
    if all(v in OK_TASK_STATES for v in app):
        out.append("- Application: every endpoint and workflow check attested ✅")
    elif any(v in BAD_TASK_STATES for v in app):
        out.append("- Application: a check failed ❌")
    else:
        out.append(f"- Application: {NOT_RUN} ({sum(v in OK_TASK_STATES for v in app)} of {len(app)} application tasks passed)")
    suite = ctx.fact("pytest_full_staging")
    if suite:
        out.append(f"- Test suite: {suite.get('passed')}/{suite.get('total')} passed, {len(suite.get('new_failures') or [])} new failures (3.7) "
                   f"{'✅' if not suite.get('new_failures') else '❌'}")
    else:
        out.append(f"- Test suite: {NOT_RUN}")
    return out


def removed_tables(ctx: ExportContext) -> list[str]:
    plan = ctx.fact("m012_plan")
    envs = [(fact, _env_of(ctx, fact)) for fact in ("m012_apply", "prod_m012_apply") if ctx.fact(fact)]
    parsed = list((plan or {}).get("dropped_tables") or [])
    count = len(parsed) if plan else None
    out = [f"## Removed Tables ({count if count is not None else NOT_RUN} parsed from 012)", ""]
    if not plan:
        return out + [f"- 012 not parsed yet: {NOT_RUN}"]
    removed_by = {fact: set(ctx.fact(fact).get("tables_removed") or []) for fact, _ in envs}  # type: ignore[union-attr]
    names = sorted(set(parsed) | set().union(*removed_by.values()) if removed_by else set(parsed))
    declared = set(ctx.runbook.facts.get("removed_tables") or [])
    rows = []
    for table in names:
        row = [table, "yes" if table in parsed else "NO", "yes" if table in declared else "no"]
        row += ["gone ✅" if table in removed_by[fact] else ("still there ❌" if table in parsed else "—") for fact, _ in envs]
        rows.append(row)
    out += md_table(["Table", "Dropped by 012 (parsed)", "Listed by the runbook"] + [f"Removed on {env} (measured)" for _, env in envs], rows)
    out.append("")
    for fact, env in envs:
        d = ctx.fact(fact) or {}
        out.append(f"- Measured on {env}: {d['before']['table_count']} tables before 012 → {d['after']['table_count']} after; "
                   f"{len(d.get('tables_removed') or [])} removed, {len(d.get('tables_added') or [])} added")
    if not envs:
        out.append(f"- Measured before/after: {NOT_RUN}")
    return out


def conflicts(ctx: ExportContext) -> list[str]:
    out = ["## Fixed Schema Conflicts (3 total)", ""]
    plan = ctx.fact("m011_plan")
    if plan:
        out.append(f"- 011 (parsed): creates {', '.join(plan.get('created_tables') or []) or 'none'}; rebuilds "
                   f"{', '.join(plan.get('rebuilt_tables') or []) or 'none'}; alters {', '.join(plan.get('altered_tables') or []) or 'none'}; "
                   f"drops {', '.join(plan.get('dropped_tables') or []) or 'none'}")
    expected = list(ctx.runbook.facts.get("agent_recommendations_columns") or [])
    ar = ctx.fact("ar_columns")
    if ar:
        columns = [r.get("column_name") for r in ar.get("rows") or []]
        nullable = rows_as_map(ar, "column_name", "is_nullable")
        ok = columns == expected and nullable.get("workspace_id") == "NO"
        out.append(f"- agent_recommendations: {'on the 08 schema' if columns == expected else 'NOT on the 08 schema'}, "
                   f"workspace_id {'NOT NULL' if nullable.get('workspace_id') == 'NO' else 'nullable or missing'} {'✅' if ok else '❌'} "
                   f"(2.3 on {_env_of(ctx, 'ar_columns')})")
    else:
        out.append(f"- agent_recommendations: {NOT_RUN}")
    ats = ctx.fact("ats_columns")
    if ats:
        nullable = rows_as_map(ats, "column_name", "is_nullable")
        ok = nullable.get("workspace_id") == "NO"
        out.append(f"- agent_trust_scores: workspace_id {'present, NOT NULL' if ok else 'missing or nullable'} {'✅' if ok else '❌'} "
                   f"(2.3 on {_env_of(ctx, 'ats_columns')})")
    else:
        out.append(f"- agent_trust_scores: {NOT_RUN}")
    comp = ctx.fact("competitors_rows")
    out.append(f"- competitors: one readable table, {comp.get('scalar')} rows ✅ (2.3 on {_env_of(ctx, 'competitors_rows')})"
               if comp else f"- competitors: {NOT_RUN}")
    if ar:
        out += ["", "agent_recommendations after 011, column by column (expected: the runbook's 08 columns):", ""]
        rows = []
        for i, r in enumerate(ar.get("rows") or []):
            want = expected[i] if i < len(expected) else ""
            rows.append([i + 1, r.get("column_name"), r.get("data_type"), r.get("is_nullable"), want,
                         "✅" if r.get("column_name") == want else "❌"])
        out += md_table(["#", "Column", "Type", "Nullable", "Expected", ""], rows)
    if ats:
        out += ["", "agent_trust_scores after 011:", ""]
        out += md_table(["Column", "Type", "Nullable"], [[r.get("column_name"), r.get("data_type"), r.get("is_nullable")]
                                                        for r in ats.get("rows") or []])
    checks = [a for a in ctx.attempts if a.task == "2.3" and a.result is not None]
    latest: dict[str, Attempt] = {}
    for attempt in checks:
        latest[attempt.step] = attempt
    if latest:
        out += ["", "The 011 checks (task 2.3):", ""]
        for attempt in latest.values():
            for check in attempt.result.checks:  # type: ignore[union-attr]
                out.append(f"- {'✅' if check.ok else '❌'} `{attempt.step}`: {check.describe} — `{short(check.evidence)}`")
    prod = ctx.fact("prod_m011_apply")
    if prod:
        out.append(f"- 011 on {_env_of(ctx, 'prod_m011_apply')}: {prod['before']['table_count']} → {prod['after']['table_count']} tables, "
                   f"core rows {'unchanged' if prod['before'].get('core_counts') == prod['after'].get('core_counts') else 'CHANGED'}")
    return out


def data_loss_pair(ctx: ExportContext) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The widest before/after pair measured: production before 011 vs its latest count, else staging."""
    prod_before = (ctx.fact("prod_m011_apply") or {}).get("before", {}).get("core_counts")
    prod_after = (rows_as_map(_query(ctx, "final_verification", "core_row_counts"), "table_name", "row_count")
                  or rows_as_map(ctx.fact("prod_core_after"), "table_name", "row_count")
                  or (ctx.fact("prod_m012_apply") or {}).get("after", {}).get("core_counts"))
    if prod_before and prod_after:
        return prod_before, prod_after, "production: before 011 and after 012"
    base = rows_as_map(ctx.fact("baseline_core"), "table_name", "row_count")
    after = (rows_as_map(ctx.fact("staging_core_after"), "table_name", "row_count")
             or (ctx.fact("m012_apply") or {}).get("after", {}).get("core_counts"))
    return base, after or {}, "staging: Monday baseline and after 012"


def data_loss(ctx: ExportContext) -> list[str]:
    out = ["## Data Loss Assessment", ""]
    columns: list[tuple[str, dict[str, Any]]] = [
        ("Staging, Monday (1.6)", rows_as_map(ctx.fact("baseline_core"), "table_name", "row_count")),
        ("Staging, after 012 (2.6)", rows_as_map(ctx.fact("staging_core_after"), "table_name", "row_count")),
        ("Production, before 011 (4.4)", (ctx.fact("prod_m011_apply") or {}).get("before", {}).get("core_counts") or {}),
        ("Production, after 012 (4.7)", rows_as_map(ctx.fact("prod_core_after"), "table_name", "row_count")),
        ("Production, final (5.4)", rows_as_map(_query(ctx, "final_verification", "core_row_counts"), "table_name", "row_count")),
    ]
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


def load_test_lines(data: dict[str, Any], attempt: Attempt | None) -> list[str]:
    """The wizard's own load step (5.3): what it sent and what it measured."""
    where = f" on {attempt.env}" if attempt is not None else ""
    return [
        f"Load test (5.3{where}): {data.get('requests')} requests, {data.get('concurrency')} at a time, "
        f"{data.get('completed')} answered in {data.get('total_s')} s:",
        f"- Requests per second: {data.get('requests_per_s')} (target > 10)",
        f"- Failed requests: {data.get('failed')} (target 0); answers other than 2xx: {data.get('non_2xx')}",
        f"- Mean time per request: {data.get('mean_ms')} ms (target < 500 ms)",
        f"- Latency: p50 {data.get('p50_ms')} ms · p95 {data.get('p95_ms')} ms · p99 {data.get('p99_ms')} ms · "
        f"max {data.get('max_ms')} ms",
    ]


def performance(ctx: ExportContext) -> list[str]:
    out = ["## Performance Impact", ""]
    measured = ctx.fact("load_test")
    rps, failed, mean = ctx.fact("load_rps"), ctx.fact("load_failed"), ctx.fact("load_mean_ms")
    if measured:
        out += load_test_lines(measured, ctx.fact_attempt("load_test"))
    elif rps or failed or mean:
        out.append("Load test (5.3, `ab -n 100 -c 10`), as read off ab's report:")
        out.append(f"- Requests per second: {rps.get('answer') if rps else NOT_RUN}" + (" (target > 10)" if rps else ""))
        out.append(f"- Failed requests: {failed.get('answer') if failed else NOT_RUN}" + (" (target 0)" if failed else ""))
        mean_text = f"{mean.get('answer')} ms (target < 500 ms)" if mean else NOT_RUN
        out.append(f"- Mean time per request: {mean_text}")
    else:
        out.append(f"- Load test (5.3): {NOT_RUN}")
    runs = [a for a in ctx.attempts if a.kind == "migration" and a.result is not None]
    if runs:
        out += ["", "Migration run times (measured by the wizard, one transaction each):"]
        for attempt in runs:
            out.append(f"- {attempt.data.get('file', attempt.step)} on {attempt.env} "
                       f"({'dry run' if attempt.data.get('mode') == 'dry_run' else 'apply'}): {fmt_duration(attempt.duration_s)}")
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
    per_day.append(["**TOTAL**", "**Week 1**", f"**{fmt_minutes(week_estimate)}**", f"**{fmt_duration(week_actual)}**", ""])
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
    backups = [(f, ctx.fact(f)) for f in ("backup", "prod_backup") if ctx.fact(f)]
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
    plan, _ = ctx.next_week_runbook()
    if plan is None:
        nw = ctx.runbook.next_week
        out.append(f"- {nw.get('title', 'Week 2')}: {', '.join(nw.get('migrations') or []) or NOT_RUN}")
        return out
    migrations_ = plan.facts.get("migrations") or []
    first, last = (migrations_[0][:3], migrations_[-1][:3]) if migrations_ else ("?", "?")
    out.append(f"- Week 2: {plan.title.split(' — ')[0].replace('Week 2: ', '')} (migrations {first}-{last})")
    out.append(f"- Prepare: {len(migrations_)} new migration files")
    out.append("- Schedule: Week 2 execution, see WEEK_2_DAILY_CHECKLIST.md")
    return out


def render(ctx: ExportContext) -> str:
    out = header(ctx, "WEEK 1 MIGRATION - FINAL REPORT")
    for section in (summary, migrations, verification, removed_tables, conflicts, data_loss, performance, time_table, issues,
                    risk, signoff, next_steps):
        out += [""] + section(ctx)
    return "\n".join(out).rstrip() + "\n"
