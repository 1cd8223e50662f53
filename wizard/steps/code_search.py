"""code_search: find references in a source tree to the tables a migration drops.

The table names come from parsing the migration with pglast, so the search always matches the
SQL that will really run. Like the runbook's `grep … | grep -v test`, paths containing "test"
are left out by default.
"""


import fnmatch
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from wizard.steps.base import ParamProblem, Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    from wizard.runbook.model import Step

MAX_MATCHES_KEPT = 200


class CodeSearchParams(Params):
    path: Annotated[str, param("the source tree to search", examples=["{workspace}/backend"])]
    tables_from: Annotated[str, param("the migration whose dropped tables are searched for",
                                      examples=["{migrations}/012_remove_unused_features.sql"])]
    patterns: Annotated[tuple[str, ...], param(
        "regular expressions; {table} stands for each table name (default: the name as a word)",
        min_length=1, examples=[[r"\b{table}\b"]])] = (r"\b{table}\b",)
    include: Annotated[tuple[str, ...], param("file name globs searched (empty: every file)",
                                              examples=[["*.py"]])] = ("*.py",)
    exclude_paths_containing: Annotated[tuple[str, ...], param(
        "paths and lines containing any of these are left out (the runbook's `grep -v test`)")] = ("test",)


def _check(p: CodeSearchParams) -> None:
    """Every pattern is a regular expression (with {table} filled in); no empty include or exclude entry."""
    for i, pattern in enumerate(p.patterns):
        try:
            re.compile(pattern.replace("{table}", "table_name"))
        except re.error as exc:
            raise ParamProblem(
                f"patterns[{i}]", f"pattern {pattern!r} is not a valid regular expression ({exc})",
                "Write a Python regular expression; {table} stands for each table name.",
            ) from None
    for key in ("include", "exclude_paths_containing"):
        if not all(v.strip() for v in getattr(p, key)):
            raise ParamProblem(key, "contains an empty string", "Remove the empty entry.")


KIND = StepKind(
    name="code_search",
    rank=30,
    description="Counts references in a source tree to the tables a migration drops (names parsed from the SQL).",
    params=CodeSearchParams,
    check=_check,
    runtime_imports=("wizard.analysis",),
    results=(
        ResultField("root", "string", "the folder searched"),
        ResultField("tables", "list of strings", "the tables searched for"),
        ResultField("tables_source", "string", "the migration they were parsed from"),
        ResultField("files_scanned", "integer", "files searched"),
        ResultField("match_count", "integer", "matching lines, over all tables"),
        ResultField("by_table", "table", "matching lines per table"),
        ResultField("matches", "list of tables",
                    f"the first {MAX_MATCHES_KEPT} matches: file, line, text, table"),
    ),
)


def _patterns(templates: list[str], tables: list[str]) -> list[tuple[str, re.Pattern[str]]]:
    compiled = []
    for table in tables:
        for template in templates:
            compiled.append((table, re.compile(template.replace("{table}", re.escape(table)))))
    return compiled


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    p = KIND.read(step)
    root = ctx.expand(p.path)
    source = ctx.expand(p.tables_from)
    include = " ".join(f'--include="{g}"' for g in p.include)
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


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    from wizard.analysis import analyse_file

    p = KIND.read(step)
    root = ctx.path(p.path)
    if not root.is_dir():
        raise StepFailure(f"Source tree not found: {root}. Set the environment's workspace to the application's repo.")
    plan = analyse_file(ctx.path(p.tables_from))
    tables = plan.dropped_tables
    if not tables:
        raise StepFailure(f"{plan.path} drops no tables: nothing to search for.")
    include = list(p.include)
    exclude = list(p.exclude_paths_containing)
    patterns = _patterns(p.patterns, tables)
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
