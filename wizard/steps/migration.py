"""migration: apply a SQL file in ONE transaction with lock and statement timeouts.

Before and after snapshots (the public tables and the core tables' row counts) are taken inside
the same transaction, so what the step reports is exactly what it changed. `dry_run` does all
of it and rolls back. Any error rolls everything back: a half-applied migration cannot exist.
"""


import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from wizard.steps.base import Duration, Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    import psycopg

    from wizard.runbook.model import Step


DEFAULT_LOCK_WAIT = "2s"


class MigrationParams(Params):
    file: Annotated[str, param("the migration's SQL file",
                               examples=["{migrations}/012_remove_unused_features.sql"])]
    mode: Annotated[Literal["apply", "dry_run"], param(
        "apply: commit; dry_run: do everything, then roll back")] = "apply"
    lock_timeout: Annotated[Duration, param("`set local lock_timeout` for the transaction",
                                            examples=["5s"])] = "5s"
    statement_timeout: Annotated[Duration, param("`set local statement_timeout` for the transaction",
                                                 examples=["5min"])] = "5min"
    lock_wait: Annotated[Duration | None, param(
        "how long, in total, the migration may wait to take ACCESS EXCLUSIVE on every table it drops or "
        "alters, all together, before anything runs; it gives up (nothing changed) rather than keep "
        "other sessions queued behind it for longer. Unset: the environment's lock_wait, else "
        f"{DEFAULT_LOCK_WAIT}", examples=["2s"])] = None
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
        ResultField("lock_timeout", "string", "the lock timeout used once the locks were taken"),
        ResultField("lock_wait", "string", "the most the migration waited for its locks up front"),
        ResultField("locked_up_front", "list of strings", "the tables locked ACCESS EXCLUSIVE before the file ran"),
        ResultField("locks_held_s", "number", "seconds those locks were held, to the commit or rollback (the rest of "
                    "the database is fingerprinted before they are taken); absent when nothing was locked"),
        ResultField("touched_tables", "list of strings", "every table the file names (parsed)"),
        ResultField("lock_holders", "list of tables", "other sessions holding locks on those tables when the step "
                    "began: table_name, mode, pid, application_name, state, transaction_open_s, query"),
        ResultField("lock_blockers", "list of tables", "when the locks could not be taken: who held them (same fields)"),
        ResultField("statement_timeout", "string", "the statement timeout used"),
        ResultField("before", "table", "a snapshot taken in the transaction before the file ran: tables and "
                    "table_count (the public schema's), all_tables (every non-system schema's, schema-qualified), "
                    "schema_counts (tables per schema), core_counts (rows of each of facts.core_tables, counted by the "
                    "zero-data-loss fingerprints; after, a table the file wrote no row to keeps its count), schema_digest"),
        ResultField("after", "table", "the same snapshot after the file ran"),
        ResultField("tables_removed", "list of strings", "tables present before and gone after, in any schema "
                    "(public's bare, others schema-qualified)"),
        ResultField("tables_added", "list of strings", "tables new after, in any schema"),
        ResultField("schema_changed", "boolean", "whether the schema digest changed"),
        ResultField("changed", "boolean", "whether tables, schema or core row counts changed"),
        ResultField("rolled_back", "boolean", "true for a dry run or an error: nothing was kept"),
        ResultField("notices", "list of strings", "the server's notices, after a line for each session that held "
                    "a lock on the file's tables when the step began"),
        ResultField("archive", "table", "what the file drops, saved just before it ran (wizard.archive): folder, "
                    "tables (file, size, sha256, rows), columns, incoming_foreign_keys; null when it drops nothing present"),
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


class _LocksNotFree(Exception):
    """The up-front locks were not all free within lock_wait; the transaction is rolled back."""


@dataclass(frozen=True)
class MigrationFile:
    """A migration file as read once for a step: what the gate compares is what the step applies."""

    path: Path
    text: str
    sha256: str  # of the text, UTF-8: as journals before this version recorded it


def sql_text(data: bytes) -> str:
    """The file's text as Path.read_text() gave it (universal newlines), so hashes stay comparable."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def load(step: "Step", ctx: StepContext) -> MigrationFile:
    path = ctx.path(KIND.read(step).file)
    try:
        text = sql_text(ctx.read_once(path))
    except FileNotFoundError:
        raise StepFailure(f"Migration file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise StepFailure(f"{path.name} is not UTF-8 text (byte {exc.start}): save it as UTF-8.") from None
    except OSError as exc:
        raise StepFailure(f"Cannot read the migration file {path}: {exc.strerror or exc}") from None
    return MigrationFile(path, text, hashlib.sha256(text.encode()).hexdigest())


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    path = ctx.path(KIND.read(step).file)
    try:
        return {"language": "sql", "text": path.read_text()}
    except FileNotFoundError:
        return {"language": "text", "text": f"Migration file not found: {path}"}


async def _snapshot(conn: "psycopg.AsyncConnection", core: list[str], rows: dict[str, int]) -> dict[str, Any]:
    """`rows`: the proof's row counts, taken in this transaction by its fingerprints (the same
    count(*)), so a core table is not read again only to be counted."""
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
        "core_counts": await db.row_counts(conn, core, known=rows),
        "schema_digest": await db.schema_digest(conn),
    }


async def _lock_set(conn: "psycopg.AsyncConnection", tables: list[str], dropped: list[str]) -> list[str]:
    """Every table the file drops or alters (those that exist), and the tables a dropped one is
    joined to by a foreign key (the drop removes the constraint's triggers there, which locks
    them as well), schema-qualified where wizard.db gives them so."""
    from wizard import db

    present = await db.existing_tables(conn, tables)
    partners = await db.foreign_key_partners(conn, await db.existing_tables(conn, dropped))
    return present + [t for t in partners if t not in present and t.split(".")[-1] not in present]


async def _lock_up_front(conn: "psycopg.AsyncConnection", ctx: StepContext, present: list[str], wait: str) -> None:
    """ACCESS EXCLUSIVE on `present` (_lock_set) in one LOCK statement under one short timeout:
    the migration gets them all or gives up, and nobody queues behind it for longer than `wait`
    in total (a lock_timeout alone is per lock, so the statement's timeout bounds the whole)."""
    import psycopg
    from psycopg import sql

    if not present:
        return
    await conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(wait)))
    await conn.execute(sql.SQL("set local statement_timeout = {}").format(sql.Literal(wait)))
    names = sql.SQL(", ").join(sql.Identifier(*t.split(".")) for t in present)
    ctx.record_sql(sql.SQL("lock table {} in access exclusive mode").format(names).as_string(conn))
    try:
        await conn.execute(sql.SQL("lock table {} in access exclusive mode").format(names))
    except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
        if ctx.cancelled.is_set():
            raise  # the operator's cancel, not the wait running out
        raise _LocksNotFree() from None


def _holder(h: dict[str, Any]) -> str:
    """One session holding a lock, as the operator needs it to find and judge that session."""
    opened = h["transaction_open_s"] if h["transaction_open_s"] is not None else "?"
    return (f"{h['table_name']} is held ({h['mode']}) by pid {h['pid']} (application_name "
            f"{h['application_name'] or '(none)'!r}, {h['state'] or 'state unknown'}, transaction open {opened} s, "
            f"query: {h['query'] or '(none)'})")


def _gave_up(file: str, data: dict[str, Any], reading: bool = False) -> str:
    """`reading`: the archive of what the file drops could not read those tables (held exclusively)."""
    blockers = data.get("lock_blockers") or []
    wait = data["lock_wait"]
    if blockers:
        held = "; ".join(_holder(b) for b in blockers[:3])
        more = f" and {len(blockers) - 3} more" if len(blockers) > 3 else ""
        end = (f"Let that session finish, or end it (SELECT pg_terminate_backend({blockers[0]['pid']})), "
               "then run the same command again.")
    else:
        held, more, end = "another session held one of them and has let go since", "", "Run the same command again."
    need = (f"archives {', '.join(data['locked_up_front'])} before dropping them and could not read them"
            if reading else f"needs ACCESS EXCLUSIVE on {', '.join(data['locked_up_front'])} and could not take them all")
    return (f"lock wait gave up: {file} {need} within {wait}: {held}{more}. Nothing was changed: {file} was "
            f"not applied, and no session waited on it for longer than {wait}. {end} (SQLSTATE 55P03, lock not available)")


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    from wizard import db
    from wizard.analysis import analyse_text
    from wizard.proof import MigrationProof, failure, qualify_all
    from wizard.statements import split
    from wizard.steps.sqlrun import cancellable, sql_error

    p = KIND.read(step)
    loaded = load(step, ctx)
    path, text, mode = loaded.path, loaded.text, p.mode
    plan = analyse_text(text, str(path))
    if plan.has_transaction_control:
        raise StepFailure(
            f"{path.name} contains BEGIN/COMMIT/ROLLBACK; the wizard runs a migration as one transaction "
            "itself and will not let the file end it early. Remove the transaction statements."
        )
    lock_timeout = p.lock_timeout.strip()
    statement_timeout = p.statement_timeout.strip()
    lock_wait = (p.lock_wait or ctx.env.lock_wait or DEFAULT_LOCK_WAIT).strip()
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
        "lock_wait": lock_wait,
        "touched_tables": plan.touched_tables,
    }
    proof = MigrationProof(split(text), dict(ctx.last_fingerprints))
    conn = await ctx.connection()
    if mode == "apply":  # on every environment: what it drops is saved before anything is dropped
        from wizard.archive import before_migration

        try:
            data["archive"] = await before_migration(conn, text, path, ctx.env.name, ctx.cancelled, lock_wait)
        except psycopg.errors.LockNotAvailable:
            data["rolled_back"] = True
            data["locked_up_front"] = await db.existing_tables(conn, plan.dropped_tables)
            async with db.read_only(conn):
                data["lock_blockers"] = await db.lock_holders(conn, data["locked_up_front"])
            raise StepFailure(_gave_up(path.name, data, reading=True), data) from None
    async with db.read_only(conn):
        data["lock_holders"] = await db.lock_holders(conn, plan.touched_tables)
    # Named up front: a session holding a table now is the one the locks below may wait for.
    notices: list[str] = [f"before the migration: {_holder(h)}" for h in data["lock_holders"]]
    data["notices"] = notices  # kept on failure too: the server's notices say how far the file got

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        notices.append(f"{diag.severity}: {diag.message_primary}")

    conn.add_notice_handler(on_notice)
    held: dict[str, float] = {}
    try:
        async def apply() -> None:
            async with conn.transaction():
                if conn.info.server_version >= 140000:
                    # If the wizard is killed mid-migration, the server notices within a second
                    # and rolls back, instead of holding locks until the statement ends.
                    await conn.execute("set local client_connection_check_interval = '1s'")
                timeouts = (sql.SQL("set local lock_timeout = {}").format(sql.Literal(lock_timeout)),
                            sql.SQL("set local statement_timeout = {}").format(sql.Literal(statement_timeout)))
                for setting in timeouts:
                    await conn.execute(setting)
                data["locked_up_front"] = lock = await _lock_set(conn, plan.exclusive_tables, plan.dropped_tables)
                # The rest of the database is hashed before the locks are taken, not while others wait on them.
                await proof.before(conn, defer=list((await qualify_all(conn, lock)).values()) if lock else ())
                await _lock_up_front(conn, ctx, lock, lock_wait)
                if lock:
                    held["since"] = time.monotonic()
                for setting in timeouts:
                    await conn.execute(setting)
                await proof.locked(conn)
                data["before"] = await _snapshot(conn, core, proof.rows_before())
                ctx.record_sql(text)
                data["statement_times"] = await proof.run(conn)
                proved = await proof.after(conn)
                data["after"] = await _snapshot(conn, core, proof.rows_after())
                data.update(proved)
                problem = failure(data["data_loss"], p.between_migrations)
                if problem:
                    data["rolled_back"] = True
                    _compare(data)
                    raise StepFailure(problem, data)
                if mode == "dry_run":
                    raise _DryRunRollback()

        try:
            await cancellable(ctx, conn, apply())
        except _DryRunRollback:
            data["rolled_back"] = True
        except _LocksNotFree:
            data["rolled_back"] = True
            async with db.read_only(conn):
                data["lock_blockers"] = await db.lock_holders(conn, data["locked_up_front"])
            raise StepFailure(_gave_up(path.name, data), data) from None
        except psycopg.Error as exc:
            data["rolled_back"] = True
            raise sql_error(exc, data) from None
    finally:
        conn.remove_notice_handler(on_notice)
        if "since" in held:  # to the commit or rollback: how long other sessions were kept off those tables
            data["locks_held_s"] = round(time.monotonic() - held["since"], 3)
    _compare(data)
    data.setdefault("rolled_back", False)
    return data


def _compare(data: dict[str, Any]) -> None:
    """What changed between the before and after snapshots. Also on a data-loss failure, whose
    result keeps what the file did before it was rolled back."""
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
