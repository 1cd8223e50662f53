"""query: run SQL (inline, one named query of a file, or every query in a file) as data."""


from typing import TYPE_CHECKING, Annotated, Any

from wizard.steps.base import Duration, ParamProblem, Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    from wizard.runbook.model import Step

# As wizard.db's DEFAULT_MAX_ROWS, READ_STATEMENT_TIMEOUT and READ_LOCK_TIMEOUT; written out so
# the declaration does not import psycopg.
DEFAULT_MAX_ROWS = 1000
DEFAULT_STATEMENT_TIMEOUT = "30s"
DEFAULT_LOCK_TIMEOUT = "5s"


class QueryParams(Params):
    sql: Annotated[str | None, param("the SQL to run, inline", examples=["SELECT count(*) FROM moves"])] = None
    sql_file: Annotated[str | None, param(
        "a SQL file to run instead; each `-- @query name:` section is run, one by one",
        examples=["{sql}/VERIFICATION_QUERIES.sql"])] = None
    query: Annotated[str | None, param("run only this named section of sql_file")] = None
    max_rows: Annotated[int, param("rows kept per result (the count is always exact)", gt=0,
                                   examples=[100])] = DEFAULT_MAX_ROWS
    statement_timeout: Annotated[Duration, param(
        "`set local statement_timeout` for each query (it runs in a READ ONLY transaction)",
        examples=["2min"])] = DEFAULT_STATEMENT_TIMEOUT
    lock_timeout: Annotated[Duration, param(
        "`set local lock_timeout` for each query: how long it may wait for a lock", examples=["1s"])] = DEFAULT_LOCK_TIMEOUT


def _check(p: QueryParams) -> None:
    """Exactly one of sql and sql_file, and sql not blank; query only with sql_file."""
    if (p.sql is None) == (p.sql_file is None):
        raise ParamProblem("sql", "a query step needs exactly one of 'sql' or 'sql_file'",
                           'Give the SQL inline (sql = """...""") or name a file (sql_file = "...").')
    if p.sql is not None and not p.sql.strip():
        raise ParamProblem("sql", "is empty", "Write the SQL to run.")
    if p.query is not None and p.sql_file is None:
        raise ParamProblem("query", "'query' picks a section of 'sql_file', but there is no sql_file",
                           "Remove query, or add sql_file = \"{sql}/VERIFICATION_QUERIES.sql\".")


_TABLE_RESULTS = (
    ResultField("rows", "list of tables", "the rows kept, each a table of column → value"),
    ResultField("row_count", "integer", "how many rows the query returned (all of them, not only those kept)"),
    ResultField("scalar", "any", "the first column of the first row, or null"),
    ResultField("columns", "list of strings", "column names"),
    ResultField("column_types", "list of strings", "PostgreSQL type of each column"),
    ResultField("shown_rows", "integer", "how many rows were kept (at most max_rows)"),
    ResultField("truncated", "boolean", "whether rows were left out"),
    ResultField("status", "string", "the server's command status, e.g. SELECT 52"),
)

KIND = StepKind(
    name="query",
    rank=10,
    description="Runs SQL in a READ ONLY transaction with timeouts and measures what it returns: rows, row count, a scalar.",
    params=QueryParams,
    check=_check,
    needs_database=True,
    runtime_imports=("psycopg", "wizard.db", "wizard.analysis"),
    results=_TABLE_RESULTS + (
        ResultField("queries", "table", "with a whole sql_file: each named query's result (the fields above)"),
        ResultField("query_count", "integer", "with a whole sql_file: how many queries ran"),
    ),
)


def queries_of(step: "Step", ctx: StepContext) -> list[tuple[str, str]]:
    """(name, sql) pairs this step will run."""
    from wizard.analysis import split_queries

    p = KIND.read(step)
    if p.sql is not None:
        return [("query", p.sql.strip())]
    path = ctx.path(p.sql_file)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StepFailure(f"SQL file not found: {path}") from None
    named = split_queries(text)
    if not named:
        return [(path.stem, text)]
    if p.query:
        for q in named:
            if q.name == p.query:
                return [(q.name, q.sql)]
        raise StepFailure(f"{path} has no query named {p.query!r} (it has: {', '.join(q.name for q in named)})")
    return [(q.name, q.sql) for q in named]


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    try:
        parts = queries_of(step, ctx)
    except StepFailure as exc:
        return {"language": "text", "text": str(exc)}
    if len(parts) == 1:
        return {"language": "sql", "text": parts[0][1]}
    return {"language": "sql", "text": "\n\n".join(f"-- {name}\n{sql}" for name, sql in parts)}


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    import psycopg

    from wizard import db
    from wizard.steps.sqlrun import cancellable, sql_error

    p = KIND.read(step)
    parts = queries_of(step, ctx)
    conn = await ctx.connection()
    results: dict[str, Any] = {}
    async def read(text: str) -> db.TableResult:
        async with db.read_only(conn, statement_timeout=p.statement_timeout.strip(), lock_timeout=p.lock_timeout.strip()):
            return await db.run_query(conn, text, max_rows=p.max_rows)

    for name, text in parts:
        ctx.record_sql(text)
        try:
            table = await cancellable(ctx, conn, read(text))
        except psycopg.Error as exc:
            failure = sql_error(exc, {"queries": results, "failed_query": name} if len(parts) > 1 else {})
            if exc.sqlstate == db.READ_ONLY_VIOLATION:
                where = f" (query {name})" if len(parts) > 1 else ""
                failure = StepFailure(
                    f"this step only reads; the query tried to write{where}: {failure}. It ran in a READ ONLY "
                    "transaction, so nothing was changed. Only migration steps change data: take the write "
                    "out of the SQL.", failure.data)
            raise failure from None
        results[name] = table.to_data()
    if len(parts) == 1 and p.sql is not None or p.query:
        return next(iter(results.values()))
    return {"queries": results, "query_count": len(results)}
