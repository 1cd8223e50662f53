"""Data access for the API: the surviving core tables only (moves, campaigns, cohorts, assets),
scoped to the caller's workspaces through workspace_members."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import sql

COLUMNS = {
    "campaigns": ("id", "workspace_id", "name", "objective", "status", "starts_on", "ends_on", "created_at"),
    "cohorts": ("id", "workspace_id", "name", "description", "size_estimate", "created_at"),
    "moves": ("id", "workspace_id", "campaign_id", "cohort_id", "sprint_id", "maneuver_type_id", "name", "status",
              "created_at"),
    "assets": ("id", "workspace_id", "move_id", "kind", "title", "storage_path", "created_at"),
}

# Fields a client may send when creating a row (workspace_id is resolved separately).
WRITABLE = {
    "campaigns": ("name", "objective", "status", "starts_on", "ends_on"),
    "cohorts": ("name", "description", "size_estimate"),
    "moves": ("name", "campaign_id", "cohort_id", "sprint_id", "maneuver_type_id", "status"),
    "assets": ("move_id", "kind", "title", "storage_path"),
}
REQUIRED = {"campaigns": ("name",), "cohorts": ("name",), "moves": ("name",), "assets": ("title",)}
DEFAULTS = {"assets": {"kind": "copy"}}


class Invalid(ValueError):
    """The request body cannot be stored (422)."""


def check_uuid(value: Any, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, AttributeError):
        raise Invalid(f"{field} must be a UUID") from None


def clean_body(table: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    unknown = sorted(set(body) - set(WRITABLE[table]) - {"workspace_id"})
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown)}")
    values = {**DEFAULTS.get(table, {}), **{k: v for k, v in body.items() if k != "workspace_id" and v is not None}}
    missing = [f for f in REQUIRED[table] if not values.get(f)]
    if missing:
        raise Invalid(f"missing field(s): {', '.join(missing)}")
    for field, value in values.items():
        if field.endswith("_id"):
            values[field] = check_uuid(value, field)
        elif field == "size_estimate":
            if not isinstance(value, int) or isinstance(value, bool):
                raise Invalid("size_estimate must be an integer")
        elif not isinstance(value, str):
            raise Invalid(f"{field} must be a string")
    return values


async def member_workspaces(conn: Any, user_id: str) -> list[str]:
    cur = await conn.execute(
        "SELECT workspace_id FROM workspace_members WHERE user_id = %s ORDER BY created_at, workspace_id",
        (check_uuid(user_id, "sub"),))
    return [str(row[0]) for row in await cur.fetchall()]


async def list_rows(conn: Any, table: str, workspaces: list[str], limit: int = 100) -> list[dict[str, Any]]:
    columns = COLUMNS[table]
    query = sql.SQL("SELECT {} FROM {} WHERE workspace_id = ANY(%s::uuid[]) ORDER BY created_at, id LIMIT %s").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table))
    cur = await conn.execute(query, (workspaces, limit))
    return [dict(zip(columns, row)) for row in await cur.fetchall()]


async def insert_row(conn: Any, table: str, workspace_id: str, values: dict[str, Any]) -> dict[str, Any]:
    chosen = ["workspace_id", *values]
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, chosen)),
        sql.SQL(", ").join(sql.Placeholder() * len(chosen)),
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table])),
    )
    cur = await conn.execute(query, [workspace_id, *values.values()])
    return dict(zip(COLUMNS[table], await cur.fetchone()))


async def get_row(conn: Any, table: str, row_id: str, workspaces: list[str]) -> dict[str, Any] | None:
    columns = COLUMNS[table]
    query = sql.SQL("SELECT {} FROM {} WHERE id = %s AND workspace_id = ANY(%s::uuid[])").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table))
    cur = await conn.execute(query, (row_id, workspaces))
    row = await cur.fetchone()
    return dict(zip(columns, row)) if row else None


async def delete_row(conn: Any, table: str, row_id: str, workspaces: list[str]) -> bool:
    query = sql.SQL("DELETE FROM {} WHERE id = %s AND workspace_id = ANY(%s::uuid[])").format(sql.Identifier(table))
    cur = await conn.execute(query, (row_id, workspaces))
    return cur.rowcount == 1
