"""Pins: the server identity a journal recorded for an environment on first use, compared with
the server a later connection finds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.environments.resolve import identify_server


@dataclass(frozen=True)
class PinCheck:
    status: str  # "not pinned" | "matches" | "different"
    pinned: dict[str, Any] | None = None
    detail: str = ""  # when different: both identities, and what the server found really is


def _same_server(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("system_identifier"), a.get("database")) == (b.get("system_identifier"), b.get("database"))


def compare_pin(name: str, seen: dict[str, Any], pins: dict[str, dict[str, Any]]) -> PinCheck:
    """Compare the server `name` reaches now (`seen`, a fingerprint) with its pin in `pins`."""
    pinned = pins.get(name)
    if pinned is None:
        return PinCheck("not pinned")
    if _same_server(pinned, seen):
        return PinCheck("matches", pinned)
    really = [other for other, fp in pins.items() if other != name and _same_server(fp, seen)]
    if really:
        where = f" It is the server pinned as {', '.join(really)}."
    else:
        known = identify_server(seen, exclude=name)
        where = f" It is {', '.join(known)}." if known else " It is no server pinned in this journal."
    return PinCheck("different", pinned,
                    f"(pinned {pinned.get('system_identifier')}/{pinned.get('database')}, "
                    f"found {seen['system_identifier']}/{seen['database']}).{where}")
