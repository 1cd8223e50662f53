"""code_search: find references in a source tree to the tables a migration drops.

The table names come from parsing the migration with pglast, so the search always matches the
SQL that will really run. Like the runbook's `grep … | grep -v test`, paths containing "test"
are left out by default.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Any

from wizard.analysis import analyse_file
from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure

MAX_MATCHES_KEPT = 200


def _patterns(step: Step, tables: list[str]) -> list[tuple[str, re.Pattern[str]]]:
    templates = step.params.get("patterns") or [r"\b{table}\b"]
    compiled = []
    for table in tables:
        for template in templates:
            compiled.append((table, re.compile(template.replace("{table}", re.escape(table)))))
    return compiled


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    root = ctx.expand(step.params["path"])
    source = ctx.expand(step.params["tables_from"])
    include = " ".join(f'--include="{g}"' for g in step.params.get("include", ["*.py"]))
    return {"language": "bash", "text": f"# tables parsed from {source}\ngrep -rnE '<each dropped table>' {root} {include} | grep -v test"}


def _files(root: Path, include: list[str], exclude: list[str]) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if include and not any(fnmatch.fnmatch(name, g) for g in include):
                continue
            if any(word in rel for word in exclude):
                continue
            found.append(path)
    return found


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    root = ctx.path(step.params["path"])
    if not root.is_dir():
        raise StepFailure(f"Source tree not found: {root}. Set the environment's workspace to the application's repo.")
    plan = analyse_file(ctx.path(step.params["tables_from"]))
    tables = plan.dropped_tables
    if not tables:
        raise StepFailure(f"{plan.path} drops no tables: nothing to search for.")
    include = list(step.params.get("include", ["*.py"]))
    exclude = list(step.params.get("exclude_paths_containing", ["test"]))
    patterns = _patterns(step, tables)
    matches: list[dict[str, Any]] = []
    by_table = {table: 0 for table in tables}
    files = _files(root, include, exclude)
    for path in files:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            if any(word in line for word in exclude):
                continue  # the runbook's `grep -v test` drops matching lines too
            hit_tables = sorted({table for table, rx in patterns if rx.search(line)})
            for table in hit_tables:
                by_table[table] += 1
                if len(matches) < MAX_MATCHES_KEPT:
                    matches.append({"file": str(path.relative_to(root)), "line": number,
                                    "text": line.strip()[:200], "table": table})
    return {
        "root": str(root),
        "tables": tables,
        "tables_source": plan.path,
        "files_scanned": len(files),
        "match_count": sum(by_table.values()),
        "by_table": by_table,
        "matches": matches,
    }
