"""query: run SQL (inline, one named query of a file, or every query in a file) as data."""

from __future__ import annotations

from typing import Any

import psycopg

from wizard import db
from wizard.analysis import split_queries
from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure
from wizard.steps.sqlrun import cancellable, sql_error


def queries_of(step: Step, ctx: StepContext) -> list[tuple[str, str]]:
    """(name, sql) pairs this step will run."""
    params = step.params
    if "sql" in params:
        return [("query", params["sql"].strip())]
    path = ctx.path(params["sql_file"])
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StepFailure(f"SQL file not found: {path}") from None
    named = split_queries(text)
    if not named:
        return [(path.stem, text)]
    if params.get("query"):
        for q in named:
            if q.name == params["query"]:
                return [(q.name, q.sql)]
        raise StepFailure(f"{path} has no query named {params['query']!r} (it has: {', '.join(q.name for q in named)})")
    return [(q.name, q.sql) for q in named]


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    try:
        parts = queries_of(step, ctx)
    except StepFailure as exc:
        return {"language": "text", "text": str(exc)}
    if len(parts) == 1:
        return {"language": "sql", "text": parts[0][1]}
    return {"language": "sql", "text": "\n\n".join(f"-- {name}\n{sql}" for name, sql in parts)}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    parts = queries_of(step, ctx)
    conn = await ctx.connection()
    max_rows = int(step.params.get("max_rows", db.DEFAULT_MAX_ROWS))
    results: dict[str, Any] = {}
    for name, text in parts:
        ctx.record_sql(text)
        try:
            table = await cancellable(ctx, conn, db.run_query(conn, text, max_rows=max_rows))
        except psycopg.Error as exc:
            raise sql_error(exc, {"queries": results, "failed_query": name} if len(parts) > 1 else {}) from None
        results[name] = table.to_data()
    if len(parts) == 1 and "sql" in step.params or step.params.get("query"):
        return next(iter(results.values()))
    return {"queries": results, "query_count": len(results)}
