"""code_search: find references in a source tree to the tables (and columns) a migration drops.

The names come from parsing the migration with pglast, so the search always matches the SQL that
will really run. By default every source language present in the tree is searched (git's own file
list in a repository, else a walk that skips vendored folders), and a tree with no source file
fails rather than passing with nothing searched. Like the runbook's `grep … | grep -v test`, paths
and lines containing "test" are left out by default.
"""


import fnmatch
import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from wizard.steps.base import ParamProblem, Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    from wizard.runbook.model import Step

MAX_MATCHES_KEPT = 200
# What "source" means when no include is given: the files of these languages present in the tree.
SOURCE_SUFFIXES = (".py", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".vue", ".svelte", ".go", ".rb", ".java",
                   ".kt", ".cs", ".php", ".rs", ".swift", ".dart", ".ex", ".exs", ".scala", ".sql")
VENDORED = {"node_modules", ".venv", "venv", "dist", "build", "target", ".git", "__pycache__", ".next", "vendor"}
# How clients name a table of another schema by its bare name: supabase-js .from("x") (after
# .schema("s")), supabase-py .table("x"), PostgREST URLs, and plain string literals.
CLIENT_FORMS = (r"""["'`]{name}["'`]""", r"/rest/v1/{name}\b")


class CodeSearchParams(Params):
    path: Annotated[str, param("the source tree to search", examples=["{workspace}/backend"])]
    tables_from: Annotated[str, param("the migration whose dropped tables (and dropped columns) are searched for",
                                      examples=["{migrations}/012_remove_unused_features.sql"])]
    patterns: Annotated[tuple[str, ...], param(
        "regular expressions; {table} stands for each table name (default: the name as a word); a table of "
        "another schema is also searched by its bare name as clients write it",
        min_length=1, examples=[[r"\b{table}\b"]])] = (r"\b{table}\b",)
    include: Annotated[tuple[str, ...] | None, param(
        "file name globs searched (default: every source language present in the tree; empty: every file)",
        examples=[["*.py", "*.ts"]])] = None
    exclude_paths_containing: Annotated[tuple[str, ...], param(
        "paths and lines containing any of these are left out (the runbook's `grep -v test`)")] = ("test",)
    search_columns: Annotated[bool, param(
        "also search for the columns the migration drops (ALTER TABLE … DROP COLUMN), each by its name as a word")] = True


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
        if not all(v.strip() for v in getattr(p, key) or ()):
            raise ParamProblem(key, "contains an empty string", "Remove the empty entry.")


KIND = StepKind(
    name="code_search",
    rank=30,
    description="Counts references in a source tree to the tables and columns a migration drops (names parsed from the SQL).",
    params=CodeSearchParams,
    check=_check,
    runtime_imports=("wizard.analysis", "pglast"),
    results=(
        ResultField("root", "string", "the folder searched"),
        ResultField("tables", "list of strings", "the tables searched for (another schema's as schema.table)"),
        ResultField("columns", "list of strings", "the dropped columns searched for, as table.column"),
        ResultField("tables_source", "string", "the migration they were parsed from"),
        ResultField("file_list", "string", "how the files were listed: git ls-files, or a walk"),
        ResultField("languages", "list of strings", "file suffixes searched"),
        ResultField("files_scanned", "integer", "files searched (0 fails the step)"),
        ResultField("match_count", "integer", "matching lines, over all tables and columns"),
        ResultField("by_table", "table", "matching lines per table, every table"),
        ResultField("by_column", "table", "matching lines per dropped column"),
        ResultField("matches", "list of tables",
                    f"the first {MAX_MATCHES_KEPT} matches: file, line, text, table"),
        ResultField("matches_left_out", "integer", "matches found but not kept in matches"),
    ),
)


def _patterns(templates: list[str], tables: list[str]) -> list[tuple[str, re.Pattern[str]]]:
    compiled = []
    for table in tables:
        for template in templates:
            compiled.append((table, re.compile(template.replace("{table}", re.escape(table)))))
        if "." in table:  # a client names it by its bare name, the schema set apart
            bare = re.escape(table.rpartition(".")[2])
            compiled += [(table, re.compile(form.replace("{name}", bare))) for form in CLIENT_FORMS]
    return compiled


def dropped_columns(text: str) -> list[str]:
    """`table.column` of every ALTER TABLE … DROP COLUMN (another schema's table as schema.table.column)."""
    import pglast
    from pglast.enums import AlterTableType

    found: list[str] = []
    for raw in pglast.parse_sql(text):
        stmt = raw.stmt
        if type(stmt).__name__ != "AlterTableStmt" or stmt.relation is None:
            continue
        rel = stmt.relation
        table = rel.relname if rel.schemaname in (None, "public") else f"{rel.schemaname}.{rel.relname}"
        for cmd in stmt.cmds or ():
            if cmd.subtype == AlterTableType.AT_DropColumn and f"{table}.{cmd.name}" not in found:
                found.append(f"{table}.{cmd.name}")
    return found


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    p = KIND.read(step)
    root = ctx.path(p.path)
    source = ctx.path(p.tables_from)
    include = " ".join(f'--include="{g}"' for g in p.include) if p.include else "(every source language present)"
    return {"language": "bash", "text": f"# tables parsed from {source}\ngrep -rnE '<each dropped table>' {root} {include} | grep -v test"}


def _listed(root: Path) -> tuple[list[Path], str]:
    """The tree's files: git's list in a repository (what the project tracks), else a walk."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, timeout=60, check=True).stdout
        return sorted(root / name for name in out.decode(errors="replace").split("\0") if name), "git ls-files"
    except (OSError, subprocess.SubprocessError):
        pass
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in VENDORED and not d.startswith("."))
        found += [Path(folder) / name for name in sorted(files)]
    return found, "walk (vendored folders skipped)"


def _files(root: Path, include: list[str] | None, exclude: list[str]) -> tuple[list[Path], str]:
    listed, how = _listed(root)
    found = []
    for path in listed:
        rel = path.relative_to(root)
        if VENDORED.intersection(rel.parts[:-1]):  # vendored code, even when committed, is not the project's
            continue
        if include is None and path.suffix.lower() not in SOURCE_SUFFIXES:
            continue
        if include and not any(fnmatch.fnmatch(path.name, g) for g in include):
            continue
        if any(word in str(rel) for word in exclude) or not path.is_file():
            continue
        found.append(path)
    return found, how


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    from wizard.analysis import analyse_file

    p = KIND.read(step)
    root = ctx.path(p.path)
    if not root.is_dir():
        raise StepFailure(f"Source tree not found: {root}. Set the environment's workspace to the application's repo.")
    plan = analyse_file(ctx.path(p.tables_from))
    tables = plan.dropped_tables
    columns = dropped_columns(Path(plan.path).read_text()) if p.search_columns else []
    if not tables and not columns:
        raise StepFailure(f"{plan.path} drops no tables or columns: nothing to search for.")
    exclude = list(p.exclude_paths_containing)
    patterns = _patterns(list(p.patterns), tables)
    patterns += [(col, re.compile(rf"\b{re.escape(col.rpartition('.')[2])}\b")) for col in columns]
    files, how = _files(root, None if p.include is None else list(p.include), exclude)
    if not files:
        raise StepFailure(f"No source file to search under {root} (listed by {how}"
                          + (f", include {list(p.include)}" if p.include else "") + "): 0 files scanned proves nothing.",
                          {"root": str(root), "files_scanned": 0, "file_list": how})
    matches: list[dict[str, Any]] = []
    counts = {name: 0 for name in tables + columns}
    for path in files:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            if any(word in line for word in exclude):
                continue  # the runbook's `grep -v test` drops matching lines too
            for name in sorted({name for name, rx in patterns if rx.search(line)}):
                counts[name] += 1
                if len(matches) < MAX_MATCHES_KEPT:
                    matches.append({"file": str(path.relative_to(root)), "line": number,
                                    "text": line.strip()[:200], "table": name})
    total = sum(counts.values())
    return {
        "root": str(root),
        "tables": tables,
        "columns": columns,
        "tables_source": plan.path,
        "file_list": how,
        "languages": sorted({f.suffix.lower() for f in files if f.suffix}),
        "files_scanned": len(files),
        "match_count": total,
        "by_table": {t: counts[t] for t in tables},
        "by_column": {c: counts[c] for c in columns},
        "matches": matches,
        "matches_left_out": total - len(matches),
    }
