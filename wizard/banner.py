"""The connection banner as data: one model the TUI banner, the CLI and the exports all read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.environments import KIND_COLOURS, Environment


@dataclass(frozen=True)
class BannerInfo:
    name: str
    kind: str  # sandbox | staging | production | offline
    role: str
    colour: str
    host: str
    port: str
    database: str
    server_version: str = ""
    fingerprint: str = ""  # short form, e.g. "…a1b2c3d4/postgres"
    pinned: bool = False
    connected: bool = False

    @property
    def css_class(self) -> str:
        # A sandbox that plays production wears production's colour: the rehearsal trains the cue
        # the operator will meet on the real thing (the text still says SANDBOX).
        if self.kind == "sandbox" and self.role == "production":
            return "env-sandbox-production"
        return f"env-{self.kind}"

    def text(self) -> str:
        """Plain text that names the kind, so colour is never the only signal (NO_COLOR, monochrome)."""
        parts = [f"{self.name.upper()} [{self.kind.upper()}" + (f" · plays {self.role}" if self.kind == "sandbox" else "") + "]"]
        if self.kind != "offline":
            where = f"{self.host}:{self.port}" if self.host and not self.host.startswith("/") else f"socket {self.host}"
            parts.append(f"{where} db={self.database}")
            if self.server_version:
                parts.append(f"PostgreSQL {self.server_version}")
            if self.fingerprint:
                parts.append(f"id {self.fingerprint}" + (" (pinned)" if self.pinned else " (not pinned yet)"))
            elif not self.connected:
                parts.append("not connected")
        else:
            parts.append(self.database)
        return " · ".join(parts)


def banner_for(env: Environment, fingerprint: dict[str, Any] | None = None, pins: dict[str, Any] | None = None) -> BannerInfo:
    info = env.conninfo
    fp = fingerprint or (pins or {}).get(env.name) or {}
    ident = str(fp.get("system_identifier") or "")
    return BannerInfo(
        name=env.name,
        kind=env.kind,
        role=env.role,
        colour=env.display_colour,
        host=str(info.get("host", "")),
        port=str(info.get("port", "")),
        database=str(info.get("dbname", "")),
        server_version=str(fp.get("server_version", "")),
        fingerprint=f"…{ident[-8:]}/{fp.get('database', '')}" if ident else "",
        pinned=env.name in (pins or {}),
        connected=fingerprint is not None,
    )


def offline_banner(journal_path: str, integrity: str) -> BannerInfo:
    return BannerInfo(name="offline review", kind="offline", role="none", colour=KIND_COLOURS["offline"],
                      host="", port="", database=f"journal {journal_path} · {integrity} · nothing can be run")
