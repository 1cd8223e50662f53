"""A small pool of async psycopg connections to DATABASE_URL (autocommit, reused between requests)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import psycopg


def describe_url(url: str) -> str:
    """Where the database is, for the startup log line: never the password."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    host = query.get("host") or parts.hostname or "localhost"
    port = query.get("port") or parts.port or 5432
    dbname = parts.path.lstrip("/") or query.get("dbname") or "postgres"
    return f"{parts.username or query.get('user') or '?'}@{host}:{port}/{dbname}"


class Pool:
    def __init__(self, url: str, max_size: int = 10, connect_timeout: int = 5) -> None:
        self.url = url
        self.max_size = max_size
        self.connect_timeout = connect_timeout
        self._idle: list[psycopg.AsyncConnection] = []
        self._slots = asyncio.Semaphore(max_size)
        self.opened = 0

    async def _new(self) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=self.connect_timeout, application_name="raptorflow-backend")
        self.opened += 1
        return conn

    @asynccontextmanager
    async def connection(self, fresh: bool = False) -> AsyncIterator[psycopg.AsyncConnection]:
        async with self._slots:
            conn = None
            while self._idle and not fresh:
                candidate = self._idle.pop()
                if not candidate.closed:
                    conn = candidate
                    break
            if conn is None:
                conn = await self._new()
            broken = False
            try:
                yield conn
            except psycopg.OperationalError:
                broken = True
                raise
            finally:
                idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                if broken or conn.closed or not idle:
                    await conn.close()
                else:
                    self._idle.append(conn)

    async def ping(self) -> None:
        """SELECT 1; a pooled connection that died with a restarted server is replaced once."""
        for attempt in (1, 2):
            try:
                async with self.connection(fresh=attempt == 2) as conn:
                    cur = await conn.execute("SELECT 1")
                    await cur.fetchone()
                    return
            except psycopg.OperationalError:
                if attempt == 2:
                    raise

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()
