"""Connecting to an environment with clear errors, and reading the server's fingerprint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from wizard.environments.model import Environment
from wizard.errors import ConnectionFailed
from wizard.redact import redact


@dataclass
class Fingerprint:
    system_identifier: str | None
    database: str
    server_version: str
    source: str  # how the identifier was obtained

    def short(self) -> str:
        ident = self.system_identifier or "unknown"
        return f"{ident[-8:]}/{self.database}"

    def as_dict(self) -> dict[str, Any]:
        return {"system_identifier": self.system_identifier, "database": self.database,
                "server_version": self.server_version, "source": self.source}


def describe_connection_error(env: Environment, exc: Exception) -> ConnectionFailed:
    text = redact(str(exc)).strip()
    lower = text.lower()
    if "password authentication failed" in lower or "no password supplied" in lower:
        fix = f"Check the password for {env.name} (`migration-wizard env forget {env.name}` asks again)."
    elif "no such file or directory" in lower or "connection refused" in lower or "could not connect" in lower:
        fix = (f"Start it with `migration-wizard sandbox start {env.name}`." if env.kind == "sandbox"
               else "Check the host and port, and that the server is up (the runbook: check the status page, wait 5 minutes, retry).")
    elif "timeout" in lower:
        fix = "The server did not answer in time: check the network path and firewall."
    elif "does not exist" in lower:
        fix = "Check the database and user names in the profile."
    else:
        fix = "Check the connection settings with `migration-wizard env test`."
    first = text.splitlines()[0] if text else type(exc).__name__
    return ConnectionFailed(f"Cannot connect to {env.name}: {first}", fix)


async def connect(env: Environment, *, password: str | None = None, timeout: int = 10) -> psycopg.AsyncConnection:
    params: dict[str, Any] = dict(env.conninfo)
    if password:
        params["password"] = password
    params.setdefault("connect_timeout", timeout)
    params.setdefault("application_name", "migration-wizard")
    pooled = str(params.pop("pooler", "")).lower() in ("1", "true", "transaction") or str(params.get("port")) == "6543"
    try:
        conn = await psycopg.AsyncConnection.connect(autocommit=True, **params)
    except psycopg.Error as exc:
        raise describe_connection_error(env, exc) from None
    if pooled:
        conn.prepare_threshold = None  # transaction poolers cannot hold prepared statements
    return conn


async def fingerprint(conn: psycopg.AsyncConnection) -> Fingerprint:
    cur = await conn.execute("select current_database(), current_setting('server_version')")
    database, version = await cur.fetchone()  # type: ignore[misc]
    try:
        cur = await conn.execute("select system_identifier::text from pg_control_system()")
        ident, source = (await cur.fetchone())[0], "pg_control_system"  # type: ignore[index]
    except psycopg.errors.InsufficientPrivilege:
        # Managed servers may hide pg_control_system(); the database's OID and creation-time
        # statistics reset stamp are stable for the life of the database and differ between servers.
        cur = await conn.execute(
            "select d.oid::text || '-' || coalesce(extract(epoch from s.stats_reset)::bigint::text, '0') "
            "from pg_database d left join pg_stat_database s on s.datid = d.oid where d.datname = current_database()"
        )
        ident, source = (await cur.fetchone())[0], "database-oid"  # type: ignore[index]
    return Fingerprint(ident, database, version, source)
