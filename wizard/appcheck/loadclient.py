"""A lean HTTP/1.1 client on asyncio streams, for the `load` step's measurements.

The load step measures requests/s on a machine whose CPUs the server shares, so every microsecond
the client spends per request is taken from the server and lowers what is measured. This client
does as little as ab does per request: the request bytes are built once (method, path and query,
Host, the caller's headers incl. Authorization, an optional JSON body with its Content-Length,
`Connection: keep-alive` or `close`) and written with one write; the answer's status line and
head are read with one readuntil and parsed for the three headers that matter (Content-Length,
Transfer-Encoding, Connection); the body is read by Content-Length, chunked transfer-encoding or
until the server closes. The address is resolved once per client, not per connection.

    client = LoadClient(url, method="GET", headers={...}, json_body=None, keepalive=True, timeout_s=30)
    conn = client.connection()          # one per worker
    response = await conn.request()     # Response(status, reason, body, kept_alive), or RequestFailed
    conn.close()

A connection is reused for the next request when keep-alive was asked for and the server did not
answer `Connection: close` (or HTTP/1.0 without keep-alive) and did not close it meanwhile.
Every failure (refused, reset, closed mid-answer, timeout, a malformed answer, TLS) is raised as
RequestFailed with a short, redacted message, and the connection is dropped.

https URLs use TLS with certificate verification (ssl.create_default_context()) unless the caller
passes its own context or verify=False; the URL's host name is the server_hostname (SNI and the
certificate check) even though the connection goes to the address resolved once.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wizard.redact import redact

HEAD_LIMIT = 64 * 1024  # the longest response head accepted (status line + headers)
MESSAGE_LIMIT = 200
USER_AGENT = "migration-wizard-load"
_NO_BODY_METHODS = {"HEAD"}
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestFailed(Exception):
    """No (complete, well-formed) HTTP answer; str() is a short redacted message."""


class MalformedResponse(Exception):
    """The bytes read are not an HTTP/1.x answer."""


@dataclass(slots=True)
class Response:
    status: int
    reason: str
    body: bytes
    kept_alive: bool  # the connection stays open for the next request
    http_version: str = "1.1"


def _clean(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must not contain a line break")
    return value


def build_request(method: str, target: str, host: str, headers: dict[str, str] | None, body: bytes | None,
                  keepalive: bool, content_type: str | None = None) -> bytes:
    """The bytes of one request, written as they are for every request of a load."""
    method = _clean(method.upper(), "the method")
    given = {str(k).lower() for k in (headers or {})}
    lines = [f"{method} {_clean(target, 'the path')} HTTP/1.1"]
    if "host" not in given:
        lines.append(f"Host: {_clean(host, 'the host')}")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    if "accept" not in given:
        lines.append("Accept: */*")
    for key, value in (headers or {}).items():
        if str(key).lower() in ("connection", "content-length", "transfer-encoding"):
            continue  # this client decides those
        lines.append(f"{_clean(str(key), 'a header name')}: {_clean(str(value), 'a header value')}")
    if body is not None:
        if content_type and "content-type" not in given:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
    elif method in _BODY_METHODS:
        lines.append("Content-Length: 0")
    lines.append("Connection: keep-alive" if keepalive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def failure_message(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, RequestFailed):
        text = str(exc)
    elif isinstance(exc, TimeoutError):
        text = f"TimeoutError: no complete answer within {timeout_s:g} s"
    elif isinstance(exc, asyncio.IncompleteReadError):
        if not exc.partial and exc.expected is None:
            text = "ServerDisconnected: the connection closed before an answer"
        else:
            got = f"{len(exc.partial)} of {exc.expected} bytes" if exc.expected is not None else f"{len(exc.partial)} bytes"
            text = f"ServerDisconnected: the connection closed mid-answer ({got})"
    elif isinstance(exc, asyncio.LimitOverrunError):
        text = f"MalformedResponse: a response line or head longer than {HEAD_LIMIT // 1024} KiB"
    elif isinstance(exc, ValueError) and not isinstance(exc, (MalformedResponse, OSError)):
        text = f"MalformedResponse: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    text = " ".join(text.split())
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT - 1] + "…"
    return redact(text)


async def read_response(reader: asyncio.StreamReader, method: str = "GET") -> tuple[int, str, bytes, bool, str]:
    """(status, reason, body, server_allows_keepalive, http_version) of the next answer on `reader`.
    Raises MalformedResponse, asyncio.IncompleteReadError (closed mid-answer) or LimitOverrunError."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise asyncio.IncompleteReadError(b"", None) from None  # closed before answering
            raise
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if (len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0") or len(parts[1]) != 3
                or not parts[1].isdigit()):
            raise MalformedResponse(f"not an HTTP/1.x status line: {lines[0][:60]!r}")
        status = int(parts[1])
        if 100 <= status < 200 and status != 101:
            continue  # 100 Continue, 103 Early Hints: the answer follows
        break
    version = parts[0][5:].decode()
    reason = parts[2].decode("latin-1") if len(parts) == 3 else ""
    length: int | None = None
    chunked = False
    connection = b""
    for line in lines[1:]:
        colon = line.find(b":")
        if colon <= 0:
            raise MalformedResponse(f"not a header line: {line[:60]!r}")
        name = line[:colon].strip().lower()
        if name == b"content-length":
            value = line[colon + 1:].strip()
            if not value.isdigit() or (length is not None and length != int(value)):
                raise MalformedResponse(f"bad Content-Length: {value[:30]!r}")
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = line[colon + 1:].strip().lower().endswith(b"chunked")
        elif name == b"connection":
            connection += b"," + line[colon + 1:].strip().lower()
    tokens = {t.strip() for t in connection.split(b",")}
    keepalive = b"close" not in tokens and (version == "1.1" or b"keep-alive" in tokens)

    if method in _NO_BODY_METHODS or status in (204, 304) or 100 <= status < 200:
        return status, reason, b"", keepalive, version
    if chunked:
        return status, reason, await _read_chunked(reader), keepalive, version
    if length is not None:
        return status, reason, (await reader.readexactly(length) if length else b""), keepalive, version
    return status, reason, await reader.read(), False, version  # delimited by the server closing


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise MalformedResponse(f"bad chunk size: {size_text[:30]!r}") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise MalformedResponse("a chunk not followed by CRLF")


class LoadClient:
    """What stays the same for every request of a load: the address, TLS, the request bytes."""

    def __init__(self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
                 json_body: Any = None, keepalive: bool = True, timeout_s: float = 30,
                 ssl_context: ssl.SSLContext | None = None, verify: bool = True) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {redact(url)}")
        self.url = url
        self.method = method.upper()
        self.keepalive = keepalive
        self.timeout_s = float(timeout_s)
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        shown_host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = self.port == (443 if parts.scheme == "https" else 80)
        host_header = shown_host if default_port else f"{shown_host}:{self.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = None if json_body is None else jsonlib.dumps(json_body).encode()
        self.request_bytes = build_request(self.method, target, host_header, headers, body, keepalive,
                                           "application/json")
        self.ssl: ssl.SSLContext | None = None
        if parts.scheme == "https":
            if ssl_context is not None:
                self.ssl = ssl_context
            elif verify:
                self.ssl = ssl.create_default_context()
            else:
                self.ssl = ssl.create_default_context()
                self.ssl.check_hostname = False
                self.ssl.verify_mode = ssl.CERT_NONE
        self._addresses: list[tuple[int, str, int]] | None = None
        self._preferred = 0

    async def _resolve(self) -> list[tuple[int, str, int]]:
        if self._addresses is None:
            infos = await asyncio.get_running_loop().getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            self._addresses = [(family, addr[0], addr[1]) for family, _, _, _, addr in infos] or [
                (socket.AF_INET, self.host, self.port)]
        return self._addresses

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new connection to the first resolved address that answers (remembered for the next)."""
        addresses = await self._resolve()
        order = addresses[self._preferred:] + addresses[:self._preferred]
        error: OSError | None = None
        for family, address, port in order:
            try:
                reader, writer = await asyncio.open_connection(
                    address, port, family=family, ssl=self.ssl, limit=HEAD_LIMIT,
                    server_hostname=self.host if self.ssl is not None else None)
            except OSError as exc:
                error = error or exc
                continue
            self._preferred = addresses.index((family, address, port))
            return reader, writer
        assert error is not None
        raise error

    def connection(self) -> "Connection":
        return Connection(self)


class Connection:
    """One worker's connection: opened when needed, kept for the next request when allowed."""

    __slots__ = ("client", "reader", "writer", "opened", "reused")

    def __init__(self, client: LoadClient) -> None:
        self.client = client
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opened = 0  # connections opened by this worker
        self.reused = 0  # requests sent on a connection kept from an earlier one

    async def request(self) -> Response:
        client = self.client
        try:
            async with asyncio.timeout(client.timeout_s):
                reader, writer = self.reader, self.writer
                if reader is None or writer is None or reader.at_eof() or writer.is_closing():
                    self.close()
                    reader, writer = await client.open()
                    self.reader, self.writer = reader, writer
                    self.opened += 1
                else:
                    self.reused += 1
                writer.write(client.request_bytes)
                status, reason, body, server_keepalive, version = await read_response(reader, client.method)
        except asyncio.CancelledError:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is one failed request
            self.close()
            raise RequestFailed(failure_message(exc, client.timeout_s)) from None
        kept = client.keepalive and server_keepalive
        if not kept:
            self.close()
        return Response(status, reason, body, kept, version)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
