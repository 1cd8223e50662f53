"""Finding an environment by name: a built-in sandbox cluster, or a profile the operator added."""

from __future__ import annotations

from typing import Any

from wizard.environments import profiles
from wizard.environments.model import SANDBOX_ROLES, Environment
from wizard.errors import WizardError
from wizard.rehearsal import clusters


def sandbox_environment(name: str) -> Environment:
    if name not in SANDBOX_ROLES:
        raise WizardError(f"{name!r} is not a sandbox.", f"Sandboxes are: {', '.join(SANDBOX_ROLES)}.")
    return Environment(
        name=name,
        kind="sandbox",
        role=SANDBOX_ROLES[name],
        conninfo=clusters.conninfo(name),
        workspace=str(clusters.workspace_dir()),
        description=f"embedded rehearsal cluster playing {SANDBOX_ROLES[name]}",
    )


def resolve_environment(name: str) -> Environment:
    """A built-in sandbox, or the profile of that name (validated; errors say file, line, key, fix)."""
    if name in SANDBOX_ROLES:
        return sandbox_environment(name)
    return profiles.load_profile(name)


def list_environments() -> list[Environment]:
    """The two sandboxes, then every profile in the file (all validated)."""
    return [sandbox_environment(n) for n in SANDBOX_ROLES] + profiles.list_profiles()


def identify_server(fingerprint: dict[str, Any], exclude: str = "") -> list[str]:
    """Which built-in sandbox cluster a server is, by its system identifier (local clusters only).

    Used when a pinned environment finds another server that this journal never pinned: the
    message can still say what it really is.
    """
    ident = fingerprint.get("system_identifier")
    if not ident:
        return []
    found = []
    for name in SANDBOX_ROLES:
        if name == exclude:
            continue
        try:
            if clusters.is_running(name) and str(clusters.status(name).system_identifier) == str(ident):
                found.append(f"the local {name} cluster (database {fingerprint.get('database')})")
        except Exception:  # noqa: BLE001 - naming the server is a courtesy; the refusal stands anyway
            continue
    return found
