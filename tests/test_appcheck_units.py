"""Application-check building blocks on their own: the rehearsal Redis spoken to over a real socket,
the rehearsal token checked by the backend's own verifier, the histogram, the log buffer, the
database URL handed to the backend."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import time
from pathlib import Path

import pytest
import redis

from wizard.appcheck import tokens
from wizard.appcheck.histogram import buckets, nice_bounds, render
from wizard.appcheck.logbuffer import LogBuffer
from wizard.appcheck.redis_server import RehearsalRedis
from wizard.environments import Environment
from wizard.errors import WizardError
from wizard.redact import redact
from wizard.steps.load import percentile, summarise
from wizard.steps.service import database_url

BACKEND = Path(__file__).resolve().parents[1] / "wizard" / "rehearsal" / "workspace" / "backend"
SANDBOX = Environment("sandbox-staging", "sandbox", "staging", {"host": "/tmp/x", "port": 5432, "dbname": "postgres", "user": "postgres"})


def backend_module(name: str):
    """Load one module of the rehearsal backend from its source file (it is not on sys.path)."""
    spec = importlib.util.spec_from_file_location(f"_rehearsal_{name}", BACKEND / "app" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def talk(port: int, payload: bytes, expect_lines: int = 1) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(payload)
        data = b""
        while data.count(b"\r\n") < expect_lines:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


def test_rehearsal_redis_is_a_redis_server_on_loopback():
    with RehearsalRedis() as server:
        assert server.url(1) == f"redis://127.0.0.1:{server.port}/1"
        assert talk(server.port, b"*1\r\n$4\r\nPING\r\n") == b"+PONG\r\n"  # what the backend's probe sends
        db1 = redis.Redis.from_url(server.url(1))
        assert db1.set("k", "v") and db1.get("k") == b"v"
        assert redis.Redis.from_url(server.url(0)).get("k") is None  # the key lives in database 1 only
        assert talk(server.port, b"*2\r\n$6\r\nSELECT\r\n$2\r\n99\r\n").startswith(b"-ERR")
        assert talk(server.port, b"*1\r\n$6\r\nNOSUCH\r\n").startswith(b"-ERR unknown command")
        db1.close()
        port = server.port
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_backend_health_probe_against_the_rehearsal_redis():
    health = backend_module("health")
    with RehearsalRedis() as server:
        assert asyncio.run(health.redis_ping(server.url(1))) == "connected"
    assert asyncio.run(health.redis_ping(server.url(1))) == "error: connection refused"


def test_rehearsal_token_is_accepted_by_the_backend_verifier_and_redacted():
    verifier = backend_module("tokens")
    token = tokens.rehearsal_token(SANDBOX)
    claims = verifier.verify(token, tokens.rehearsal_secret())
    assert claims["sub"] == tokens.SANDBOX_USER_ID and claims["exp"] > time.time()
    with pytest.raises(verifier.InvalidToken):
        verifier.verify(token, "some-other-secret-of-32-bytes-or-more")
    assert token not in redact(f"Authorization: {token}") and tokens.rehearsal_secret() not in redact(tokens.rehearsal_secret())


def test_no_token_is_minted_for_a_real_environment():
    staging = Environment("staging", "staging", "staging", {"host": "db.example.test"})
    with pytest.raises(WizardError, match="sandbox"):
        tokens.rehearsal_token(staging)


def test_sandbox_user_matches_the_seed():
    seed = (Path(__file__).resolve().parents[1] / "sql" / "sandbox" / "seed.sql").read_text()
    assert "md5('user-' || g)::uuid" in seed and "md5('member-1')::uuid, md5('ws-1')::uuid, md5('user-1')::uuid" in seed


def test_histogram_buckets_and_bars():
    latencies = [1.1, 1.4, 2.2, 2.4, 2.9, 3.5, 4.8, 9.0, 12.0, 48.0]
    rows = buckets(latencies)
    assert sum(r["count"] for r in rows) == len(latencies)
    assert rows[0]["upper_ms"] >= min(latencies) and rows[-1]["upper_ms"] >= max(latencies)
    assert [r["upper_ms"] for r in rows] == sorted(r["upper_ms"] for r in rows)
    text = render(rows, width=20)
    assert len(text.splitlines()) == len(rows) and "█" in text and "ms" in text
    assert render([]) == "" and buckets([]) == []
    assert len(nice_bounds(0.05, 90000)) <= 14


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.95) == 95 and percentile(values, 0.99) == 99
    summary = summarise(values, 2.0, 100, 10, 0, {200: 98, 503: 2}, [])
    assert summary["requests_per_s"] == 50 and summary["non_2xx"] == 2 and summary["max_ms"] == 100


def test_log_buffer_follows_and_reports_lost_lines():
    logs = LogBuffer(maxlen=3)
    for n in range(5):
        logs.append(f"line {n}")
    lines, position, lost = logs.since(0)
    assert lines == ["line 2", "line 3", "line 4"] and position == 5 and lost == 2
    logs.append("line 5")
    assert logs.since(position)[0] == ["line 5"]
    assert logs.first[:2] == ["line 0", "line 1"]


def test_database_url_for_socket_and_tcp():
    assert database_url(SANDBOX) == "postgresql://postgres@/postgres?host=/tmp/x&port=5432"
    tcp = Environment("staging", "staging", "staging",
                      {"host": "db.example.test", "port": 6543, "dbname": "app", "user": "svc", "sslmode": "require"})
    assert database_url(tcp, "p@ss word") == "postgresql://svc:p%40ss%20word@db.example.test:6543/app?sslmode=require"
