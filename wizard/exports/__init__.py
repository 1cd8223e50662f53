"""The week's documents, written from the journal alone (`migration-wizard export`, and the TUI).

One module per document; each has FILENAME and render(ctx) -> str. The same journal always gives
the same bytes: nothing reads the clock, keys are sorted, and the documents are dated by the
journal's last event.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from wizard.exports import final_report, migration_log, team_update, verification_results, week2_checklist
from wizard.exports.context import ExportContext

DOCUMENTS = (migration_log, verification_results, final_report, week2_checklist, team_update)


def render_all(journal_path: Path, *, runbook_path: Path | None = None, sql_dir: Path | None = None,
               week2_path: Path | None = None) -> dict[str, str]:
    """Every document's text, by file name, from one replay of the journal."""
    ctx = ExportContext(Path(journal_path), runbook_path=runbook_path, sql_dir=sql_dir, week2_path=week2_path)
    week = week_number(ctx.runbook.title)
    if week not in (None, 1):  # the other documents are Week 1's own; a later week gets its log, task by task
        return {f"MIGRATION_LOG_WEEK{week}.md": migration_log.render(ctx, week)}
    return {module.FILENAME: module.render(ctx) for module in DOCUMENTS}


def week_number(title: str) -> int | None:
    """"Week 2: Codex Schema Creation — …" → 2; None for a runbook not named after a week."""
    found = re.match(r"\s*Week\s+(\d+)\b", title)
    return int(found.group(1)) if found else None


def export_all(journal_path: Path, out_dir: Path, *, runbook_path: Path | None = None, sql_dir: Path | None = None,
               week2_path: Path | None = None) -> list[Path]:
    """Write every document into out_dir (each atomically) and return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all(journal_path, runbook_path=runbook_path, sql_dir=sql_dir, week2_path=week2_path).items():
        target = out / name
        tmp = target.with_name(f".{name}.tmp{os.getpid()}")
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, target)
        written.append(target)
    return written


__all__ = ["DOCUMENTS", "ExportContext", "export_all", "render_all"]
