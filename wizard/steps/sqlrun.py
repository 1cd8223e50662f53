"""Running SQL for a step: errors as data, and a server-side cancel when the operator asks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Awaitable, TypeVar

from wizard.steps.base import StepCancelled, StepContext, StepFailure

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")


def sql_error(exc: psycopg.Error, data: dict[str, Any] | None = None) -> StepFailure:
    diag = exc.diag
    message = (diag.message_primary or str(exc)).strip()
    extra = {
        "sqlstate": exc.sqlstate,
        "message": message,
        "detail": diag.message_detail,
        "hint": diag.message_hint,
        "context": diag.context,
        "position": diag.statement_position,
    }
    text = f"{exc.sqlstate or 'ERROR'}: {message}"
    if diag.message_detail:
        text += f" ({diag.message_detail})"
    return StepFailure(text, {**(data or {}), "sql_error": {k: v for k, v in extra.items() if v}})


async def cancellable(ctx: StepContext, conn: psycopg.AsyncConnection, work: Awaitable[T]) -> T:
    """Await database work; if ctx.cancelled fires first, cancel it on the server and say so."""
    import psycopg

    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(ctx.cancelled.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        await conn.cancel_safe()
        try:
            await task
        except psycopg.errors.QueryCanceled:
            pass
        except psycopg.Error:
            pass
        raise StepCancelled("cancelled by the operator; the server stopped the statement")
    finally:
        waiter.cancel()
