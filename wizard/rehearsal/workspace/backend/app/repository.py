"""Data access for the API: the surviving core tables only (moves, campaigns, cohorts, assets)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

LISTS = {
    "campaigns": ("id", "workspace_id", "name", "objective", "status", "starts_on", "ends_on", "created_at"),
    "cohorts": ("id", "workspace_id", "name", "description", "size_estimate", "created_at"),
    "moves": ("id", "workspace_id", "campaign_id", "cohort_id", "sprint_id", "maneuver_type_id", "name", "status", "created_at"),
    "assets": ("id", "workspace_id", "move_id", "kind", "title", "storage_path", "created_at"),
}

REQUIRED = {
    "campaigns": ("workspace_id", "name"),
    "moves": ("workspace_id", "name"),
    "assets": ("workspace_id", "kind", "title"),
    "cohorts": ("workspace_id", "name"),
}


def list_rows(conn: Any, table: str, workspace_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    columns = LISTS[table]
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table))
    params: list[Any] = []
    if workspace_id:
        query += sql.SQL(" WHERE workspace_id = %s")
        params.append(workspace_id)
    query += sql.SQL(" ORDER BY created_at, id LIMIT %s")
    params.append(limit)
    with conn.cursor() as cur:
        cur.execute(query, params)
        return [dict(zip(columns, row)) for row in cur.fetchall()]


def insert_row(conn: Any, table: str, values: dict[str, Any]) -> dict[str, Any]:
    allowed = [c for c in LISTS[table] if c not in ("id", "created_at")]
    missing = [c for c in REQUIRED[table] if not values.get(c)]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    chosen = [c for c in allowed if c in values]
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, chosen)),
        sql.SQL(", ").join(sql.Placeholder() * len(chosen)),
        sql.SQL(", ").join(map(sql.Identifier, LISTS[table])),
    )
    with conn.cursor() as cur:
        cur.execute(query, [values[c] for c in chosen])
        return dict(zip(LISTS[table], cur.fetchone()))
