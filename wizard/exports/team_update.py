"""The team update (the short Slack/email message), with the measured numbers the runbook's [report] names."""

from __future__ import annotations

from wizard.exports.context import NOT_RUN, ExportContext, fmt_ts, week_name
from wizard.exports.final_report import (application_states, checklist_file, data_loss_pair, end_table_count, item_verdict,
                                         next_week_number, overall)
from wizard.journal.fold import BAD_TASK_STATES, OK_TASK_STATES

KEY = "team_update"


def _measured_lines(ctx: ExportContext) -> list[str]:
    report, out = ctx.report, []
    base = ctx.fact(report.start) if report.start else None
    end, where = end_table_count(ctx)
    removal = report.removal
    if removal:
        applied = next((ctx.fact(f) for f in reversed(removal.applied) if ctx.fact(f)), None)
        removed = len(applied.get("tables_removed") or []) if applied else None
        plan = ctx.fact(removal.plan)
        if base and end is not None:
            out.append(f"✅ {base.get('scalar')} → {end} tables ({removed if removed is not None else '?'} {removal.summary}; {where})")
        else:
            out.append(f"⏳ Table clean-up: {NOT_RUN}" + (f" ({len(plan.get('dropped_tables') or [])} tables to remove, "
                                                          f"parsed from {removal.migration})" if plan else ""))
    elif report.start or report.end:
        out.append(f"✅ {base.get('scalar')} → {end} tables ({where})" if base and end is not None else f"⏳ Table count: {NOT_RUN}")
    if report.checks:
        verdicts = [item_verdict(ctx, item.steps)[0] for item in report.checks.items]
        names = ", ".join(item.name for item in report.checks.items)
        if verdicts and all(v == "passed" for v in verdicts):
            out.append(f"✅ {len(verdicts)} {report.checks.team_done} ({names})")
        elif "failed" in verdicts:
            out.append(f"❌ {report.checks.team_pending}: a check failed")
        else:
            out.append(f"⏳ {report.checks.team_pending}: {NOT_RUN}")
    if report.data_loss:
        before, after, label = data_loss_pair(ctx)
        if before and after:
            lost = sum(max(int(before[t]) - int(after.get(t, 0)), 0) for t in before)
            out.append(("✅ Zero data loss" if lost == 0 else f"❌ {lost} rows lost") + f" ({label})")
        else:
            out.append(f"⏳ Data loss check: {NOT_RUN}")
    if report.application:
        app = application_states(ctx)
        out.append("✅ Application fully functional" if app and all(v in OK_TASK_STATES for v in app)
                   else ("❌ Application check failed" if any(v in BAD_TASK_STATES for v in app) else f"⏳ Application checks: {NOT_RUN}"))
    if report.test_suite:
        suite = ctx.fact(report.test_suite)
        if suite:
            ok = not suite.get("new_failures")
            out.append(f"{'✅' if ok else '❌'} Tests: {suite.get('passed')}/{suite.get('total')} passing, "
                       f"{len(suite.get('new_failures') or [])} new failures")
        else:
            out.append(f"⏳ Full test suite: {NOT_RUN}")
    return out


def _next_lines(ctx: ExportContext) -> list[str]:
    plan, _ = ctx.next_week_runbook()
    if plan is None:
        return []
    end, _ = end_table_count(ctx)
    out = ["", f"NEXT: Week {next_week_number(ctx, plan)} - {week_name(plan.title)}"]
    declared = ctx.report.next
    if declared:
        migrations = plan.facts.get(declared.migrations) or [] if declared.migrations else []
        new = plan.facts.get(declared.new_tables) if declared.new_tables else None
        if migrations:
            out.append(f"- {plan.days[0].id.capitalize() if plan.days else 'First day'}: Begin {len(migrations)} new migrations")
        last_day = plan.days[-1].id.capitalize() if plan.days else "Last day"
        if end is not None and isinstance(new, int):
            out.append(f"- {last_day}: All {end + new} tables ready ({end} existing + {new} new)")
        elif isinstance(new, int):
            out.append(f"- {last_day}: {new} {declared.new_tables_label} ready")
    if not declared:
        out.append(f"- Checklist: {checklist_file(ctx, plan)}")
    return out


def render(ctx: ExportContext) -> str:
    status, _ = overall(ctx)
    complete = status.startswith("✅")
    stopped = status.startswith("❌")
    headline = f"WEEK {ctx.week} {ctx.report.headline}"
    title = f"{headline} - COMPLETE!" if complete else f"{headline} - STOPPED" if stopped else f"{headline} - IN PROGRESS"
    if ctx.rehearsal:
        title = "[REHEARSAL on sandbox clusters] " + title
    out = [("🎉 " if complete else "") + title, ""]
    out += _measured_lines(ctx) or [f"- {ctx.runbook.title}: see the final report for each task's state"]
    out += _next_lines(ctx)
    out += ["", f"Details: See {ctx.file('final_report')}",
            f"(From the wizard's journal {ctx.journal_path.name}, as of {fmt_ts(ctx.last_event_at, ms=False)}; status: {status})"]
    return "\n".join(out).rstrip() + "\n"
