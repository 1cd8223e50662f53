"""The /health payload and its Redis probe, without a server."""

import asyncio
import socket

import pytest

from app.health import describe_db_error, encode_command, health_payload, parse_redis_url, redis_ping


def test_healthy_when_both_connected():
    assert health_payload("connected", "connected") == (
        200, {"status": "healthy", "database": "connected", "redis": "connected"})


def test_database_down_is_503_and_named():
    status, body = health_payload("error: connection refused", "connected")
    assert status == 503
    assert body == {"status": "unhealthy", "database": "error: connection refused", "redis": "connected"}


def test_redis_down_is_503_and_named():
    status, body = health_payload("connected", "error: timeout after 2.0 s")
    assert status == 503 and body["redis"].startswith("error:")


def test_resp_encoding():
    assert encode_command("PING") == b"*1\r\n$4\r\nPING\r\n"
    assert encode_command("SELECT", "1") == b"*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n"


def test_redis_url_parsing():
    assert parse_redis_url("redis://127.0.0.1:6380/1") == {
        "host": "127.0.0.1", "port": 6380, "db": 1, "username": None, "password": None}
    assert parse_redis_url("redis://:s3cret@localhost/0")["password"] == "s3cret"
    with pytest.raises(ValueError):
        parse_redis_url("http://localhost:6379")


def test_ping_to_a_closed_port_is_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert asyncio.run(redis_ping(f"redis://127.0.0.1:{port}/1")) == "error: connection refused"


def test_missing_redis_url():
    assert asyncio.run(redis_ping("")) == "error: REDIS_URL is not set"


def test_database_errors_are_one_line():
    err = OSError('connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory\n\tIs the server running?')
    text = describe_db_error(err)
    assert text.startswith("error: connection refused") and "\n" not in text
