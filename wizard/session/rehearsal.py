"""The rehearsal's plan and its closing summary, read from the journal (no runbook names in code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.rehearsal.preparation import REHEARSAL_PLAN, rehearsal_runbook

if TYPE_CHECKING:
    from wizard.session.core import RunOutcome, Session

__all__ = ["REHEARSAL_PLAN", "rehearsal_runbook", "rehearsal_summary"]


def rehearsal_summary(session: "Session", outcomes: list["RunOutcome"]) -> list[str]:
    """Rich-markup lines: each migration applied (tables before → after, what it removed), each day."""
    lines: list[str] = []
    state = session.journal.fold if session.journal is not None else None
    for record in (state.steps.values() if state else []):
        result = record.result
        if result is None or result.kind != "migration" or not result.ok or result.data.get("mode") == "dry_run":
            continue
        data = result.data
        before, after = data.get("before") or {}, data.get("after") or {}
        removed = data.get("tables_removed") or []
        lines.append(f"{result.environment}: {data.get('file')}: {before.get('table_count')} tables → "
                     f"{after.get('table_count')}" + (f" (removed {len(removed)}: {', '.join(removed)})" if removed else ""))
    for outcome in outcomes:
        if outcome.ok:
            verdict = "[green]passed[/]"
        elif outcome.problem is not None:
            verdict = f"[red]refused: {outcome.problem.what}[/]"
        else:
            verdict = f"[red]stopped at {outcome.stopped_at}[/]"
        lines.append(f"  {outcome.what:<10} on {outcome.env:<20} {verdict} ({len(outcome.results)} steps)")
    return lines
