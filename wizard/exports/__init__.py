"""The week's documents, written from the journal alone (`migration-wizard export`, and the TUI).

One module per document; each has KEY and render(ctx) -> str. Which documents a week has, and
their file names, come from the runbook's [report] (docs/RUNBOOKS.md). The same journal always gives
the same bytes: nothing reads the clock, keys are sorted, and the documents are dated by the
journal's last event.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from wizard.errors import WizardError
from wizard.exports import final_report, migration_log, team_update, verification_results, week2_checklist
from wizard.exports.context import ExportContext
from wizard.paths import make_dir

DOCUMENTS = (migration_log, verification_results, final_report, week2_checklist, team_update)


def render_all(journal_path: Path, *, runbook_path: Path | None = None, sql_dir: Path | None = None,
               week2_path: Path | None = None) -> dict[str, str]:
    """Every document's text, by file name, from one replay of the journal."""
    ctx = ExportContext(Path(journal_path), runbook_path=runbook_path, sql_dir=sql_dir, week2_path=week2_path)
    documents = {}
    for module in DOCUMENTS:
        name = document_name(ctx, module.KEY)
        if name is not None:
            documents[name] = module.render(ctx)
    return documents


def document_name(ctx: ExportContext, key: str) -> str | None:
    """A document's file name for this runbook; None for one it does not have (no final queries, no next week)."""
    if key == week2_checklist.KEY:
        return week2_checklist.filename(ctx)
    if key == verification_results.KEY and ctx.report.final_queries is None:
        return None
    return ctx.file(key)


def export_all(journal_path: Path, out_dir: Path, *, runbook_path: Path | None = None, sql_dir: Path | None = None,
               week2_path: Path | None = None) -> list[Path]:
    """Write every document into out_dir (each atomically) and return their paths."""
    out = Path(out_dir)
    fix = "Choose a folder you can write to with --out DIR (it is created if missing)."
    make_dir(out, "The documents folder", fix)
    documents = render_all(journal_path, runbook_path=runbook_path, sql_dir=sql_dir, week2_path=week2_path)
    written = []
    for name, text in documents.items():
        target = out / name
        tmp = target.with_name(f".{name}.tmp{os.getpid()}")
        try:
            tmp.write_bytes(text.encode("utf-8"))
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):  # no half-written temporary file left behind
                tmp.unlink()
            raise WizardError(f"Cannot write {target}: {exc.strerror or exc}."
                              + (f" Written so far: {', '.join(p.name for p in written)}." if written else ""), fix) from None
        written.append(target)
    return written


__all__ = ["DOCUMENTS", "ExportContext", "export_all", "render_all"]
