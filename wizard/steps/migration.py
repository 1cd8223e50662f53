"""migration: apply a SQL file in ONE transaction with lock and statement timeouts.

Before and after snapshots (the public tables and the core tables' row counts) are taken inside
the same transaction, so what the step reports is exactly what it changed. `dry_run` does all
of it and rolls back. Any error rolls everything back: a half-applied migration cannot exist.
"""


from typing import TYPE_CHECKING, Annotated, Any, Literal

from wizard.steps.base import Duration, Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    import psycopg

    from wizard.runbook.model import Step


class MigrationParams(Params):
    file: Annotated[str, param("the migration's SQL file",
                               examples=["{migrations}/012_remove_unused_features.sql"])]
    mode: Annotated[Literal["apply", "dry_run"], param(
        "apply: commit; dry_run: do everything, then roll back")] = "apply"
    lock_timeout: Annotated[Duration, param("`set local lock_timeout` for the transaction",
                                            examples=["5s"])] = "5s"
    statement_timeout: Annotated[Duration, param("`set local statement_timeout` for the transaction",
                                                 examples=["5min"])] = "5min"
    between_migrations: Annotated[Literal["fail", "report"], param(
        "rows that changed since the last migration applied on this environment (its after-fingerprints "
        "in the journal): fail the step, or only report them (live traffic between two migrations)")] = "fail"


KIND = StepKind(
    name="migration",
    rank=20,
    description="Applies a SQL file in one transaction and measures what it changed (tables, core row counts, schema).",
    params=MigrationParams,
    needs_database=True,
    writes=True,
    writes_if=lambda p: p.mode == "apply",  # a dry run is rolled back
    runtime_imports=("psycopg", "wizard.db", "wizard.analysis", "wizard.proof", "wizard.statements"),
    results=(
        ResultField("file", "string", "the file's name"),
        ResultField("path", "string", "the file's path"),
        ResultField("mode", "string", "apply or dry_run"),
        ResultField("sha256", "string", "SHA-256 of the file (production needs the same file passed on staging)"),
        ResultField("lines", "integer", "lines in the file"),
        ResultField("statements", "integer", "SQL statements in the file"),
        ResultField("planned_drops", "list of strings", "tables the file drops (parsed, not guessed)"),
        ResultField("lock_timeout", "string", "the lock timeout used"),
        ResultField("statement_timeout", "string", "the statement timeout used"),
        ResultField("before", "table", "a snapshot taken in the transaction before the file ran: tables and "
                    "table_count (the public schema's), all_tables (every non-system schema's, schema-qualified), "
                    "schema_counts (tables per schema), core_counts (rows of each of facts.core_tables), schema_digest"),
        ResultField("after", "table", "the same snapshot after the file ran"),
        ResultField("tables_removed", "list of strings", "tables present before and gone after, in any schema "
                    "(public's bare, others schema-qualified)"),
        ResultField("tables_added", "list of strings", "tables new after, in any schema"),
        ResultField("schema_changed", "boolean", "whether the schema digest changed"),
        ResultField("changed", "boolean", "whether tables, schema or core row counts changed"),
        ResultField("rolled_back", "boolean", "true for a dry run or an error: nothing was kept"),
        ResultField("notices", "list of strings", "the server's notices"),
        ResultField("statement_times", "list of tables", "each statement in file order: index, line, kind, seconds"),
        ResultField("catalog_diff", "table", "objects added, removed and changed in every non-system schema, by type "
                    "(table, column, constraint, policy, index, view, trigger, function, sequence), schema-qualified; summary"),
        ResultField("fingerprints_before", "table", "every user table's rows and content fingerprint before the file ran"),
        ResultField("fingerprints_after", "table", "the same after (the next migration's before is compared with it)"),
        ResultField("data_loss", "table", "the zero-data-loss verdict: ok, tables_checked, proved_untouched, "
                    "tables_changed, changes, not_compared, excluded_columns, changed_since_last_migration"),
    ),
)


def _names(snapshot: dict[str, Any]) -> set[str]:
    """Every schema's tables, public's bare and others qualified, as wizard.analysis names them."""
    return {q.partition(".")[2] if q.startswith("public.") else q for q in snapshot["all_tables"]}


class _DryRunRollback(Exception):
    pass


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    path = ctx.path(KIND.read(step).file)
    try:
        return {"language": "sql", "text": path.read_text()}
    except FileNotFoundError:
        return {"language": "text", "text": f"Migration file not found: {path}"}


async def _snapshot(conn: "psycopg.AsyncConnection", core: list[str]) -> dict[str, Any]:
    from wizard import db

    every = await db.user_tables(conn)
    tables = [t for schema, t in every if schema == "public"]
    schema_counts: dict[str, int] = {}
    for schema, _table in every:
        schema_counts[schema] = schema_counts.get(schema, 0) + 1
    return {
        "tables": tables,  # public's, bare, as runbooks' expectations compare them with parsed names
        "table_count": len(tables),
        "all_tables": [f"{schema}.{t}" for schema, t in every],
        "schema_counts": schema_counts,
        "core_counts": await db.row_counts(conn, core),
        "schema_digest": await db.schema_digest(conn),
    }


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    from wizard.analysis import analyse_text
    from wizard.proof import MigrationProof, failure
    from wizard.statements import split
    from wizard.steps.sqlrun import cancellable, sql_error

    p = KIND.read(step)
    path = ctx.path(p.file)
    mode = p.mode
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StepFailure(f"Migration file not found: {path}") from None
    plan = analyse_text(text, str(path))
    if plan.has_transaction_control:
        raise StepFailure(
            f"{path.name} contains BEGIN/COMMIT/ROLLBACK; the wizard runs a migration as one transaction "
            "itself and will not let the file end it early. Remove the transaction statements."
        )
    lock_timeout = p.lock_timeout.strip()
    statement_timeout = p.statement_timeout.strip()
    core = list(ctx.facts.get("core_tables", []))
    data: dict[str, Any] = {
        "file": path.name,
        "path": str(path),
        "mode": mode,
        "sha256": plan.sha256,
        "lines": plan.lines,
        "statements": plan.statements,
        "planned_drops": plan.dropped_tables,
        "lock_timeout": lock_timeout,
        "statement_timeout": statement_timeout,
    }
    proof = MigrationProof(split(text), dict(ctx.last_fingerprints))
    conn = await ctx.connection()
    notices: list[str] = []

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        notices.append(f"{diag.severity}: {diag.message_primary}")

    conn.add_notice_handler(on_notice)
    try:
        async def apply() -> None:
            async with conn.transaction():
                await conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(lock_timeout)))
                await conn.execute(sql.SQL("set local statement_timeout = {}").format(sql.Literal(statement_timeout)))
                if conn.info.server_version >= 140000:
                    # If the wizard is killed mid-migration, the server notices within a second
                    # and rolls back, instead of holding locks until the statement ends.
                    await conn.execute("set local client_connection_check_interval = '1s'")
                data["before"] = await _snapshot(conn, core)
                await proof.before(conn)
                ctx.record_sql(text)
                data["statement_times"] = await proof.run(conn)
                data["after"] = await _snapshot(conn, core)
                data.update(await proof.after(conn))
                problem = failure(data["data_loss"], p.between_migrations)
                if problem:
                    data["rolled_back"] = True
                    raise StepFailure(problem, data)
                if mode == "dry_run":
                    raise _DryRunRollback()

        try:
            await cancellable(ctx, conn, apply())
        except _DryRunRollback:
            data["rolled_back"] = True
        except psycopg.Error as exc:
            data["rolled_back"] = True
            raise sql_error(exc, data) from None
    finally:
        conn.remove_notice_handler(on_notice)
    data["notices"] = notices
    before, after = data["before"], data["after"]
    # Every schema counts; names as wizard.analysis writes them (public's bare, others qualified).
    was, now = _names(before), _names(after)
    data["tables_removed"] = sorted(was - now)
    data["tables_added"] = sorted(now - was)
    data["schema_changed"] = before["schema_digest"] != after["schema_digest"]
    data["changed"] = bool(
        data["tables_removed"] or data["tables_added"] or data["schema_changed"]
        or before["core_counts"] != after["core_counts"]
    )
    data.setdefault("rolled_back", False)
    return data
