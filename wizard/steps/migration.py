"""migration: apply a SQL file in ONE transaction with lock and statement timeouts.

Before and after snapshots (the public tables and the core tables' row counts) are taken inside
the same transaction, so what the step reports is exactly what it changed. `dry_run` does all
of it and rolls back. Any error rolls everything back: a half-applied migration cannot exist.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import sql

from wizard import db
from wizard.analysis import analyse_text
from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure
from wizard.steps.sqlrun import cancellable, sql_error

_DURATION = re.compile(r"^\d+\s*(ms|s|min|h)?$")


class _DryRunRollback(Exception):
    pass


def _timeout(value: str, key: str) -> str:
    if not _DURATION.match(value.strip()):
        raise StepFailure(f"{key} {value!r} is not a duration like 5s or 2min")
    return value.strip()


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    path = ctx.path(step.params["file"])
    try:
        return {"language": "sql", "text": path.read_text()}
    except FileNotFoundError:
        return {"language": "text", "text": f"Migration file not found: {path}"}


async def _snapshot(conn: psycopg.AsyncConnection, core: list[str]) -> dict[str, Any]:
    tables = await db.public_tables(conn)
    return {
        "tables": tables,
        "table_count": len(tables),
        "core_counts": await db.row_counts(conn, core),
        "schema_digest": await db.schema_digest(conn),
    }


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    path = ctx.path(step.params["file"])
    mode = step.params.get("mode", "apply")
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
    lock_timeout = _timeout(step.params.get("lock_timeout", "5s"), "lock_timeout")
    statement_timeout = _timeout(step.params.get("statement_timeout", "5min"), "statement_timeout")
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
                ctx.record_sql(text)
                await conn.execute(text)  # type: ignore[arg-type]
                data["after"] = await _snapshot(conn, core)
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
    data["tables_removed"] = sorted(set(before["tables"]) - set(after["tables"]))
    data["tables_added"] = sorted(set(after["tables"]) - set(before["tables"]))
    data["schema_changed"] = before["schema_digest"] != after["schema_digest"]
    data["changed"] = bool(
        data["tables_removed"] or data["tables_added"] or data["schema_changed"]
        or before["core_counts"] != after["core_counts"]
    )
    data.setdefault("rolled_back", False)
    return data
