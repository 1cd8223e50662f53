"""GET /health: a real `SELECT 1` on the database and a real PING to Redis.

The payload is healthy only when both answer; otherwise 503 names the part that is down.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote, urlsplit

CONNECTED = "connected"


def health_payload(database: str, redis: str) -> tuple[int, dict[str, str]]:
    """(HTTP status, body) from the two probe outcomes ("connected" or "error: …")."""
    healthy = database == CONNECTED and redis == CONNECTED
    body = {"status": "healthy" if healthy else "unhealthy", "database": database, "redis": redis}
    return (200 if healthy else 503), body


def short_error(exc: BaseException) -> str:
    """One line for the payload: the first line of the driver's message."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:300]


def describe_db_error(exc: BaseException) -> str:
    lower = str(exc).lower()
    if "connection refused" in lower or "no such file or directory" in lower:
        return "error: connection refused (" + short_error(exc) + ")"
    if "could not connect" in lower or "connection to server" in lower or "timeout" in lower:
        return "error: could not connect (" + short_error(exc) + ")"
    return "error: " + short_error(exc)


def encode_command(*parts: str | bytes) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def parse_redis_url(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"not a redis:// URL: {parts.scheme or url!r}")
    if parts.scheme == "rediss":
        raise ValueError("rediss:// (TLS) is not supported by the health probe")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"bad database number {db!r}")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(db),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }


async def _reply(reader: asyncio.StreamReader) -> bytes:
    line = await reader.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    if line.startswith(b"-"):
        raise ConnectionError(line[1:].strip().decode(errors="replace"))
    if line.startswith(b"$"):  # a bulk reply (PING with a message): read its body too
        size = int(line[1:].strip())
        if size >= 0:
            await reader.readexactly(size + 2)
    return line.strip()


async def redis_ping(url: str, timeout: float = 2.0) -> str:
    """Speak RESP to the server: AUTH if the URL has a password, SELECT the database, PING."""
    if not url:
        return "error: REDIS_URL is not set"
    try:
        target = parse_redis_url(url)
    except ValueError as exc:
        return f"error: {exc}"

    async def probe() -> str:
        reader, writer = await asyncio.open_connection(target["host"], target["port"])
        try:
            if target["password"]:
                auth = (("AUTH", target["username"], target["password"]) if target["username"]
                        else ("AUTH", target["password"]))
                writer.write(encode_command(*auth))
                await writer.drain()
                await _reply(reader)
            if target["db"]:
                writer.write(encode_command("SELECT", str(target["db"])))
                await writer.drain()
                await _reply(reader)
            writer.write(encode_command("PING"))
            await writer.drain()
            answer = await _reply(reader)
            if answer != b"+PONG":
                return f"error: unexpected PING reply {answer[:40]!r}"
            return CONNECTED
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass

    try:
        return await asyncio.wait_for(probe(), timeout)
    except asyncio.TimeoutError:
        return "error: timeout after %.1f s" % timeout
    except (OSError, ConnectionError, ValueError) as exc:
        if isinstance(exc, ConnectionRefusedError):
            return "error: connection refused"
        return "error: " + short_error(exc)
