"""Looking before acting: a migration file's preview and the tables' fingerprints, read-only.

`migration-wizard preview FILE --env NAME` and `fingerprint --env NAME` call these; the TUI can
too (the data is plain). They connect as a run would (password, the environment's pin) but only
ever inside a READ ONLY transaction with timeouts, and take no journal lock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

import psycopg

from wizard.catalog import read_only
from wizard.errors import WizardError


async def preview_sql(conn: psycopg.AsyncConnection, path: Path, text: str | None = None) -> dict[str, Any]:
    """{"file", "statements", "lint", "drops"} for the SQL file at `path` against `conn`'s database
    (`text`: the file's bytes as a step already read them, so what is previewed is what runs)."""
    import pglast

    from wizard.catalog.blast import blast_radius
    from wizard.lint import lint
    from wizard.statements import split

    try:
        text = path.read_text() if text is None else text
    except FileNotFoundError:
        raise WizardError(f"No SQL file at {path}.", "Check the path.") from None
    try:
        statements = split(text)
    except pglast.parser.ParseError as exc:
        raise WizardError(f"{path}: PostgreSQL cannot parse this file: {exc.args[0]}",
                          "Fix the SQL; the wizard previews and runs nothing from a file it cannot parse.") from None
    major = conn.info.server_version // 10000
    findings = await asyncio.to_thread(lint, path, statements, pg_version=f"{major}.0")
    table_drops = [(name, cascade) for s in statements for what, name, cascade in s.drops if what == "table"]
    drops = await blast_radius(conn, table_drops)
    from wizard.analysis import analyse_text

    rebuilt = {t if "." in t else f"public.{t}" for t in analyse_text(text, str(path)).rebuilt_tables}
    for d in drops:
        if d.table in rebuilt:
            d.rebuilt = True
            d.note = (d.note + "; " if d.note else "") + "the file creates it again under this name (a rebuild): check that it carries the rows over"
    from wizard.proof import qualify

    for s in statements:  # as the server resolves them now (tables the file creates: public)
        s.tables = [await qualify(conn, t) for t in s.tables]
    by_statement: dict[int, list[dict[str, Any]]] = {}
    for f in findings:
        if f.statement is not None:
            by_statement.setdefault(f.statement, []).append({"rule": f.rule, "level": f.level})
    return {
        "file": str(path),
        "statements": [{**s.to_data(), "lint": by_statement.get(s.index, [])} for s in statements],
        "lint": [f.to_data() for f in findings],
        "drops": [d.to_data() for d in drops],
    }


async def _with_read_only(env_name: str, work: Callable[[psycopg.AsyncConnection], Awaitable[Any]], *,
                          asker: Any = None, say: Callable[[str], None] | None = None,
                          journal: Path | None = None) -> Any:
    """Open `env_name` as a run would (sandbox started, password, pin checked), run `work` in a
    READ ONLY transaction, close."""
    from wizard.environments import resolve_environment, secrets
    from wizard.rehearsal.preparation import prepare_environment
    from wizard.session.environments import SANDBOX_ROLES, pins_in
    from wizard.session.journals import journal_path

    env = resolve_environment(env_name)
    prepare_environment(env)
    password = None if env.name in SANDBOX_ROLES else await secrets.verified_password(env, asker=asker, say=say)
    path = journal_path(journal, env)
    return await read_only_on(env, work, password=password, journal=path, pins=pins_in(path))


async def read_only_on(env: Any, work: Callable[[psycopg.AsyncConnection], Awaitable[Any]], *,
                       password: str | None, journal: Path, pins: dict[str, Any]) -> Any:
    """Connect to `env` (an Environment, its password already known), check its pin against
    `pins` (those of the journal at `journal`), run `work` in a READ ONLY transaction, close."""
    from wizard.environments import connect, fingerprint
    from wizard.session.environments import check_pin

    conn = await connect(env, password=password)
    try:
        check_pin(env, (await fingerprint(conn)).as_dict(), journal, pins)
        try:
            async with read_only(conn):
                return await work(conn)
        except psycopg.errors.QueryCanceled:
            raise WizardError(f"{env.name} did not answer within the read-only timeouts.",
                              "A lock held by another session may be in the way; try again when it is quiet.") from None
        except psycopg.Error as exc:
            raise WizardError(f"{env.name}: {exc.sqlstate or 'ERROR'}: {str(exc).strip().splitlines()[0]}") from None
    finally:
        await conn.close()


async def preview_async(path: Path, env_name: str, **options: Any) -> dict[str, Any]:
    """The preview, for a face with an event loop (the TUI): asker/say/journal as for a run."""
    return await _with_read_only(env_name, lambda conn: preview_sql(conn, Path(path)), **options)


async def fingerprint_async(env_name: str, tables: list[str] | None = None, **options: Any) -> dict[str, Any]:
    from wizard.fingerprint import fingerprint_report

    return await _with_read_only(env_name, lambda conn: fingerprint_report(conn, tables), **options)


def preview(path: Path, env_name: str, **options: Any) -> dict[str, Any]:
    return asyncio.run(preview_async(path, env_name, **options))


def fingerprint_tables(env_name: str, tables: list[str] | None = None, **options: Any) -> dict[str, Any]:
    return asyncio.run(fingerprint_async(env_name, tables, **options))
