"""Pins: the server identity a journal recorded for an environment on first use, compared with
the server a later connection finds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from wizard.environments.model import SANDBOX_ROLES, Environment
from wizard.environments.resolve import identify_server
from wizard.errors import EnvironmentRefused

if TYPE_CHECKING:
    from wizard.journal.pins import RecordedPin


@dataclass(frozen=True)
class PinCheck:
    status: str  # "not pinned" | "matches" | "different"
    pinned: dict[str, Any] | None = None
    detail: str = ""  # when different: both identities, and what the server found really is


def same_server(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("system_identifier"), a.get("database")) == (b.get("system_identifier"), b.get("database"))


def compare_pin(name: str, seen: dict[str, Any], pins: dict[str, dict[str, Any]]) -> PinCheck:
    """Compare the server `name` reaches now (`seen`, a fingerprint) with its pin in `pins`."""
    pinned = pins.get(name)
    if pinned is None:
        return PinCheck("not pinned")
    if same_server(pinned, seen):
        return PinCheck("matches", pinned)
    really = [other for other, fp in pins.items() if other != name and same_server(fp, seen)]
    if really:
        where = f" It is the server pinned as {', '.join(really)}."
    else:
        known = identify_server(seen, exclude=name)
        where = f" It is {', '.join(known)}." if known else " It is no server pinned in this journal."
    return PinCheck("different", pinned,
                    f"(pinned {pinned.get('system_identifier')}/{pinned.get('database')}, "
                    f"found {seen['system_identifier']}/{seen['database']}).{where}")


def _is_production(pin: "RecordedPin") -> bool:
    if pin.kind or pin.role:
        return pin.production
    # Pinned by `env test` before pins carried the kind: what the environment is now.
    if pin.env in SANDBOX_ROLES:
        return SANDBOX_ROLES[pin.env] == "production"
    from wizard.environments import profiles

    try:
        now = profiles.load_profile(pin.env)
    except Exception:  # noqa: BLE001 - a profile since removed or broken: nothing more is known
        return False
    return "production" in (now.kind, now.role)


def production_owner(env: Environment, seen: dict[str, Any], pins: Iterable["RecordedPin"]) -> "RecordedPin | None":
    """The production environment that pinned the server `env` reaches, when `env` plays staging."""
    if "staging" not in (env.kind, env.role):
        return None
    return next((p for p in pins if same_server(p.fingerprint, seen) and _is_production(p)), None)


def production_server_refusal(env: Environment, owner: "RecordedPin") -> EnvironmentRefused:
    fp = owner.fingerprint
    kind = f"{owner.kind}, plays {owner.role}" if owner.kind else "production"
    return EnvironmentRefused(
        f"{env.name} ({env.kind}, plays {env.role}) reaches the server {owner.env} ({kind}) pinned "
        f"({fp.get('system_identifier')}/{fp.get('database')}, in {owner.journal}): a production server, "
        f"for every profile. A staging environment never runs there. Nothing was run.",
        f"Point {env.name} at its own staging server (`migration-wizard env add {env.name} --kind {env.kind} "
        f"--url ... --replace`). Only if that server is really no longer production: "
        f"`migration-wizard env forget {owner.env} --pin --journal {owner.journal}`.",
    )
