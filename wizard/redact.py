"""Secrets are registered here the moment they are read, and scrubbed from anything we write."""

from __future__ import annotations

import re

MASK = "••••••"
_secrets: set[str] = set()
# A password inside a connection URI or conninfo string, in case one slips into an error message.
_URI_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)([^@\s]+)(@)")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
# A password in SQL (ALTER ROLE ... PASSWORD '...'), e.g. another session's query shown as a lock holder.
_SQL_PASSWORD = re.compile(r"(\bpassword\s+)'(?:[^']|'')*'", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9\-_\.=]+")


def register_secret(value: str | None) -> None:
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URI_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _KV_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    text = _SQL_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)
