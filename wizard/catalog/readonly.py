"""A READ ONLY transaction with statement and lock timeouts, for looking without touching."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import psycopg
from psycopg import sql


@asynccontextmanager
async def read_only(conn: psycopg.AsyncConnection, *, statement_timeout: str = "2min",
                    lock_timeout: str = "2s") -> AsyncIterator[psycopg.AsyncConnection]:
    """The server refuses any write inside; a catalogue lock held by a migration makes us wait at
    most `lock_timeout` instead of queueing behind it (and everyone behind us)."""
    async with conn.transaction():
        await conn.execute("set transaction read only")
        await conn.execute(sql.SQL("set local statement_timeout = {}").format(sql.Literal(statement_timeout)))
        await conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(lock_timeout)))
        yield conn
