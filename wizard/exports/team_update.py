"""TEAM_UPDATE.txt: the short Slack/email message of task 5.7, with the measured numbers."""

from __future__ import annotations

from wizard.exports.context import NOT_RUN, ExportContext, fmt_ts
from wizard.exports.final_report import data_loss_pair, end_table_count, overall
from wizard.journal.fold import BAD_TASK_STATES, OK_TASK_STATES

FILENAME = "TEAM_UPDATE.txt"


def render(ctx: ExportContext) -> str:
    status, _ = overall(ctx)
    complete = status.startswith("✅")
    stopped = status.startswith("❌")
    title = ("WEEK 1 DATABASE CLEANUP - COMPLETE!" if complete else
             "WEEK 1 DATABASE CLEANUP - STOPPED" if stopped else "WEEK 1 DATABASE CLEANUP - IN PROGRESS")
    if ctx.rehearsal:
        title = "[REHEARSAL on sandbox clusters] " + title
    out = [("🎉 " if complete else "") + title, ""]
    base = ctx.fact("baseline")
    end, where = end_table_count(ctx)
    plan = ctx.fact("m012_plan")
    removed = None
    for fact in ("prod_m012_apply", "m012_apply"):
        if ctx.fact(fact):
            removed = len(ctx.fact(fact).get("tables_removed") or [])  # type: ignore[union-attr]
            break
    if base and end is not None:
        out.append(f"✅ {base.get('scalar')} → {end} tables ({removed if removed is not None else '?'} unused tables removed; {where})")
    else:
        out.append(f"⏳ Table clean-up: {NOT_RUN}" + (f" ({len(plan.get('dropped_tables') or [])} tables to remove, parsed from 012)" if plan else ""))
    checks = [ctx.fact(f) for f in ("ar_columns", "ats_columns", "competitors_rows")]
    if all(checks):
        out.append("✅ 3 schema conflicts fixed (agent_recommendations, agent_trust_scores, competitors)")
    else:
        out.append(f"⏳ Schema conflicts (011): {NOT_RUN}")
    before, after, label = data_loss_pair(ctx)
    if before and after:
        lost = sum(max(int(before[t]) - int(after.get(t, 0)), 0) for t in before)
        out.append(("✅ Zero data loss" if lost == 0 else f"❌ {lost} rows lost") + f" ({label})")
    else:
        out.append(f"⏳ Data loss check: {NOT_RUN}")
    app = [ctx.state.task_state(t) for t in ctx.runbook.tasks() if t.id in ("3.2", "3.3", "3.4", "3.5", "3.6", "5.1", "5.2")]
    out.append("✅ Application fully functional" if app and all(v in OK_TASK_STATES for v in app)
               else ("❌ Application check failed" if any(v in BAD_TASK_STATES for v in app) else f"⏳ Application checks: {NOT_RUN}"))
    suite = ctx.fact("pytest_full_staging")
    if suite:
        ok = not suite.get("new_failures")
        out.append(f"{'✅' if ok else '❌'} Tests: {suite.get('passed')}/{suite.get('total')} passing, {len(suite.get('new_failures') or [])} new failures")
    else:
        out.append(f"⏳ Full test suite: {NOT_RUN}")
    plan2, _ = ctx.next_week_runbook()
    out += ["", "NEXT: Week 2 - Codex Schema Creation"]
    if plan2 is not None:
        migrations = plan2.facts.get("migrations") or []
        new = plan2.facts.get("new_codex_tables")
        out.append(f"- Monday: Begin {len(migrations)} new migrations")
        if end is not None and isinstance(new, int):
            out.append(f"- Friday: All {end + new} tables ready ({end} existing + {new} new)")
        else:
            out.append(f"- Friday: {new} new Codex tables ready")
    out += ["", "Details: See MIGRATION_WEEK1_FINAL_REPORT.md",
            f"(From the wizard's journal {ctx.journal_path.name}, as of {fmt_ts(ctx.last_event_at, ms=False)}; status: {status})"]
    return "\n".join(out).rstrip() + "\n"
