"""The load step's HTTP/1.1 client (wizard.appcheck.loadclient) against real servers on 127.0.0.1:
a tiny asyncio server in this file writing canned raw bytes (every parser path: Content-Length,
chunked, close-delimited, Connection: close, 204/304, 1xx, malformed, truncated, silent), TLS with a
throwaway certificate, and uvicorn. No mocked HTTP."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wizard.appcheck.loadclient import LoadClient, RequestFailed, build_request
from wizard.redact import MASK
from wizard.steps.load import hammer

SILENT = object()  # an answer that never comes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Canned:
    """An asyncio server on 127.0.0.1: for every request it reads, it writes the next canned answer
    (raw bytes) and closes the connection when the script says so. It records what it read."""

    def __init__(self, script: list, ssl_context: ssl.SSLContext | None = None) -> None:
        self.script = list(script)  # [(answer bytes | SILENT | callable(request) -> bytes, close: bool)]
        self.requests: list[bytes] = []
        self.connections = 0
        self.ssl = ssl_context
        self.server: asyncio.AbstractServer | None = None
        self.handlers: set[asyncio.Task] = set()

    async def __aenter__(self) -> "Canned":
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0, ssl=self.ssl)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        for task in self.handlers:
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        await self.server.wait_closed()

    def url(self, path: str = "/", scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.handlers.add(asyncio.current_task())
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                request = head + (await reader.readexactly(length) if length else b"")
                self.requests.append(request)
                answer, close = self.script.pop(0) if self.script else (b"HTTP/1.1 500 Out Of Script\r\n\r\n", True)
                if answer is SILENT:
                    await asyncio.sleep(3600)  # cancelled when the server stops
                writer.write(answer(request) if callable(answer) else answer)
                await writer.drain()
                if close:
                    return
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()


def run(coro):
    return asyncio.run(coro)


OK = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False)


# --- the request bytes ------------------------------------------------------------------------------

def test_request_bytes_method_path_host_headers_json_body_and_connection():
    async def go():
        async with Canned([OK, OK]) as server:
            client = LoadClient(server.url("/api/v1/moves?x=1&y=2"), method="post",
                                headers={"Authorization": "Bearer abc.def", "X-Trace": "t1"},
                                json_body={"name": "é", "n": 1}, keepalive=True)
            conn = client.connection()
            first = await conn.request()
            conn.close()
            closing = LoadClient(server.url("/"), keepalive=False).connection()
            await closing.request()
            return server, first

    server, first = run(go())
    assert first.status == 200 and first.body == b"ok"
    head, body = server.requests[0].split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /api/v1/moves?x=1&y=2 HTTP/1.1"
    assert f"Host: 127.0.0.1:{server.port}" in lines
    assert "Authorization: Bearer abc.def" in lines and "X-Trace: t1" in lines
    assert "Content-Type: application/json" in lines and f"Content-Length: {len(body)}" in lines
    assert "Connection: keep-alive" in lines
    assert body == '{"name": "\\u00e9", "n": 1}'.encode()
    assert server.requests[1].decode().startswith("GET / HTTP/1.1\r\n")
    assert "Connection: close" in server.requests[1].decode().split("\r\n")


def test_request_bytes_refuse_header_injection_and_default_ports():
    with pytest.raises(ValueError, match="line break"):
        build_request("GET", "/", "h", {"X-A": "1\r\nEvil: 2"}, None, True)
    assert b"Host: example.org\r\n" in LoadClient("https://example.org/x").request_bytes
    assert b"Host: [::1]:8080\r\n" in LoadClient("http://[::1]:8080/").request_bytes
    assert b"Content-Length: 0\r\n" in LoadClient("http://h/", method="POST").request_bytes
    with pytest.raises(ValueError):
        LoadClient("ftp://h/")


# --- reading the answer -----------------------------------------------------------------------------

def test_content_length_answers_reuse_one_connection():
    async def go():
        async with Canned([(b"HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\ncontent-length: 5\r\n\r\nhello", False),
                           (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", False), OK]) as server:
            conn = LoadClient(server.url(), keepalive=True).connection()
            answers = [await conn.request() for _ in range(3)]
            conn.close()
            return server, conn, answers

    server, conn, answers = run(go())
    assert [(a.status, a.reason, a.body, a.kept_alive) for a in answers] == [
        (201, "Created", b"hello", True), (404, "Not Found", b"", True), (200, "OK", b"ok", True)]
    assert server.connections == 1 and conn.opened == 1 and conn.reused == 2


def test_chunked_answer_with_extensions_and_trailers_then_reuse():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;name=value\r\nhello\r\n6\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Checksum: 1\r\n\r\n")

    async def go():
        async with Canned([(chunked, False), OK]) as server:
            conn = LoadClient(server.url(), keepalive=True).connection()
            first, second = await conn.request(), await conn.request()
            return server, first, second

    server, first, second = run(go())
    assert first.body == b"hello world0123456789" and first.kept_alive
    assert second.body == b"ok" and server.connections == 1


def test_close_delimited_answer_then_a_new_connection():
    async def go():
        async with Canned([(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the server closes", True),
                           OK]) as server:
            conn = LoadClient(server.url(), keepalive=True).connection()
            first, second = await conn.request(), await conn.request()
            return server, conn, first, second

    server, conn, first, second = run(go())
    assert first.body == b"until the server closes" and not first.kept_alive
    assert second.body == b"ok" and server.connections == 2 and conn.opened == 2


def test_connection_close_from_the_server_is_honoured():
    async def go():
        async with Canned([(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", True),
                           (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", True),
                           (b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", False),
                           OK]) as server:
            conn = LoadClient(server.url(), keepalive=True).connection()
            answers = [await conn.request() for _ in range(4)]
            return server, conn, answers

    server, conn, answers = run(go())
    assert [a.kept_alive for a in answers] == [False, False, True, True]
    assert [a.http_version for a in answers] == ["1.1", "1.0", "1.0", "1.1"]
    assert server.connections == 3 and conn.opened == 3 and conn.reused == 1


def test_204_and_304_have_no_body_even_with_a_content_length():
    async def go():
        async with Canned([(b"HTTP/1.1 204 No Content\r\n\r\n", False),
                           (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: \"x\"\r\n\r\n", False),
                           (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False),
                           OK]) as server:
            conn = LoadClient(server.url(), keepalive=True).connection()
            answers = [await asyncio.wait_for(conn.request(), 5) for _ in range(4)]
            return server, answers

    server, answers = run(go())
    assert [(a.status, a.body) for a in answers] == [(204, b""), (304, b""), (200, b"ok"), (200, b"ok")]
    assert server.connections == 1


@pytest.mark.parametrize("answer, message", [
    (b"HTPP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "MalformedResponse: not an HTTP/1.x status line"),
    (b"HTTP/1.1 2000 OK\r\n\r\n", "MalformedResponse: not an HTTP/1.x status line"),
    (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "MalformedResponse: not an HTTP/1.x status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "MalformedResponse: not a header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "MalformedResponse: bad Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "MalformedResponse: bad chunk size"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "ServerDisconnected: the connection closed mid-answer (3 of 10 bytes)"),
    (b"", "ServerDisconnected: the connection closed before an answer"),
])
def test_malformed_or_truncated_answers_fail_and_drop_the_connection(answer, message):
    async def go():
        async with Canned([(answer, True), OK]) as server:
            conn = LoadClient(server.url(), keepalive=True).connection()
            with pytest.raises(RequestFailed) as failed:
                await asyncio.wait_for(conn.request(), 5)
            after = await conn.request()  # a fresh connection: the broken one is not reused
            return server, failed.value, after

    server, failed, after = run(go())
    assert str(failed).startswith(message), str(failed)
    assert after.status == 200 and server.connections == 2


def test_timeout_refused_and_redacted_messages():
    async def go():
        async with Canned([(SILENT, False)]) as server:
            began = time.monotonic()
            with pytest.raises(RequestFailed) as timed_out:
                await LoadClient(server.url(), timeout_s=0.3).connection().request()
            waited = time.monotonic() - began
        with pytest.raises(RequestFailed) as refused:
            await LoadClient(f"http://127.0.0.1:{free_port()}/").connection().request()
        # a server echoing the request's Authorization line as its status line: the token never shows
        async with Canned([(lambda request: [l for l in request.split(b"\r\n") if l.startswith(b"Authorization")][0]
                            + b"\r\n\r\n", True)]) as server:
            with pytest.raises(RequestFailed) as echoed:
                await LoadClient(server.url(), headers={"Authorization": "Bearer s3cr3t-t0ken"}).connection().request()
        return waited, timed_out.value, refused.value, echoed.value

    waited, timed_out, refused, echoed = run(go())
    assert str(timed_out) == "TimeoutError: no complete answer within 0.3 s" and waited < 2
    assert str(refused).startswith("ConnectionRefusedError:")
    assert "s3cr3t" not in str(echoed) and MASK in str(echoed) and str(echoed).startswith("MalformedResponse")


# --- hammer (the load step's measurement) on the lean client -----------------------------------------

def test_hammer_counts_statuses_failures_and_keeps_connections_per_worker():
    script = [(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False)] * 6 + [
        (b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy", False), (b"garbage\r\n\r\n", True)]

    async def go():
        async with Canned(script) as server:
            result = await hammer(server.url(), requests=8, concurrency=2, keepalive=True)
            return server, result

    server, result = run(go())
    assert result["completed"] == 7 and result["failed"] == 1 and result["non_2xx"] == 1
    assert result["status_counts"] == {"200": 6, "503": 1}
    assert result["errors"] == ["MalformedResponse: not an HTTP/1.x status line: b'garbage'"]
    assert server.connections == 2  # one per worker, reused


def test_hammer_without_keepalive_opens_a_connection_per_request():
    async def go():
        async with Canned([(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", True)] * 9) as server:
            result = await hammer(server.url(), requests=9, concurrency=3, keepalive=False)
            return server, result

    server, result = run(go())
    assert result["completed"] == 9 and server.connections == 9
    assert all(b"Connection: close\r\n" in r for r in server.requests)


def test_cancelling_stops_the_load_at_once_even_mid_request():
    async def go():
        async with Canned([OK, OK, (SILENT, False), (SILENT, False)]) as server:
            cancelled = asyncio.Event()
            asyncio.get_running_loop().call_later(0.3, cancelled.set)
            began = time.monotonic()
            result = await hammer(server.url(), requests=1000, concurrency=2, keepalive=True, timeout_s=30,
                                  cancelled=cancelled)
            return time.monotonic() - began, result

    took, result = run(go())
    assert took < 1.5 and result["completed"] == 2 and result["failed"] == 0


# --- TLS -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def test_https_verifies_certificates_by_default(certificate):
    cert, key = certificate
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def go():
        async with Canned([OK, OK, OK, OK], ssl_context=server_side) as server:
            with pytest.raises(RequestFailed) as untrusted:
                await LoadClient(server.url(scheme="https")).connection().request()
            conn = LoadClient(server.url(scheme="https", host="localhost"), ssl_context=trusting).connection()
            trusted = [await conn.request(), await conn.request()]
            unverified = await LoadClient(server.url(scheme="https"), verify=False).connection().request()
            return untrusted.value, trusted, conn, unverified

    untrusted, trusted, conn, unverified = run(go())
    assert "CERTIFICATE_VERIFY_FAILED" in str(untrusted) and str(untrusted).startswith("SSLCertVerificationError")
    assert [a.body for a in trusted] == [b"ok", b"ok"] and conn.opened == 1
    assert unverified.status == 200


# --- uvicorn -------------------------------------------------------------------------------------------

UVICORN_APP = textwrap.dedent('''
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"]
        if path == "/empty":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/stream":  # no content-length: uvicorn sends it chunked
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            for part in (b"one ", b"two ", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        else:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            answer = b"echo:" + body
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(answer)).encode())]})
            await send({"type": "http.response.body", "body": answer})
''')


@pytest.fixture(scope="module")
def uvicorn_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uvicorn")
    (folder / "probe_app.py").write_text(UVICORN_APP)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "probe_app:app", "--host", "127.0.0.1", "--port", str(port),
                                "--no-access-log", "--log-level", "warning"], cwd=folder, env={**os.environ},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_uvicorn_content_length_chunked_204_and_json_body(uvicorn_url):
    async def go():
        conn = LoadClient(uvicorn_url + "/stream", keepalive=True).connection()
        streamed = [await conn.request(), await conn.request()]
        empty = await LoadClient(uvicorn_url + "/empty").connection().request()
        echoed = await LoadClient(uvicorn_url + "/echo", method="POST", json_body={"a": 1}).connection().request()
        conn.close()
        return streamed, conn, empty, echoed

    streamed, conn, empty, echoed = run(go())
    assert [a.body for a in streamed] == [b"one two three"] * 2 and conn.opened == 1 and conn.reused == 1
    assert (empty.status, empty.body) == (204, b"")
    assert echoed.body == b'echo:{"a": 1}'


@pytest.mark.parametrize("keepalive", [True, False])
def test_hammer_against_uvicorn(uvicorn_url, keepalive):
    result = run(hammer(uvicorn_url + "/", requests=300, concurrency=10, keepalive=keepalive))
    assert result["completed"] == 300 and result["failed"] == 0 and result["status_counts"] == {"200": 300}
    assert sum(b["count"] for b in result["histogram"]) == 300
