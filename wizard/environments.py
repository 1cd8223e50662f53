"""Environments: where a step runs. The two sandbox clusters are built in; profiles add real ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wizard.errors import WizardError

KINDS = ("sandbox", "staging", "production")
ROLES = ("staging", "production")

# One colour per kind; the TUI maps these to CSS classes, exports print the name.
KIND_COLOURS = {"sandbox": "green", "staging": "yellow", "production": "red", "offline": "grey"}


@dataclass
class Environment:
    name: str
    kind: str  # sandbox | staging | production: what it is, and its banner colour
    role: str  # staging | production: which runbook steps it may run
    conninfo: dict[str, Any] = field(default_factory=dict)  # libpq keywords, never a password
    workspace: str | None = None  # the application's repo root (holds backend/)
    description: str = ""
    colour: str | None = None

    @property
    def display_colour(self) -> str:
        return self.colour or KIND_COLOURS[self.kind]

    def describe(self) -> dict[str, Any]:
        """What may be written down about this environment: no secret ever."""
        info = {k: v for k, v in self.conninfo.items() if k not in ("password", "passfile")}
        return {"name": self.name, "kind": self.kind, "role": self.role, **info}


SANDBOX_ROLES = {"sandbox-staging": "staging", "sandbox-production": "production"}


def sandbox_environment(name: str) -> Environment:
    from wizard import sandbox

    if name not in SANDBOX_ROLES:
        raise WizardError(f"{name!r} is not a sandbox.", f"Sandboxes are: {', '.join(SANDBOX_ROLES)}.")
    return Environment(
        name=name,
        kind="sandbox",
        role=SANDBOX_ROLES[name],
        conninfo=sandbox.conninfo(name),
        workspace=str(sandbox.workspace_dir()),
        description=f"embedded rehearsal cluster playing {SANDBOX_ROLES[name]}",
    )


def resolve_environment(name: str) -> Environment:
    """Find an environment by name: a built-in sandbox, or a profile the operator configured."""
    if name in SANDBOX_ROLES:
        return sandbox_environment(name)
    try:
        from wizard import profiles  # added with operator-defined environments
    except ImportError:
        profiles = None  # type: ignore[assignment]
    if profiles is not None:
        return profiles.load_environment(name)
    raise WizardError(
        f"Unknown environment {name!r}.",
        f"Use one of: {', '.join(SANDBOX_ROLES)}, or add one with `migration-wizard env add`.",
    )


def identify_server(fingerprint: dict[str, Any], exclude: str = "") -> list[str]:
    """Which built-in sandbox cluster a server is, by its system identifier (local clusters only).

    Used when a pinned environment finds another server that this journal never pinned: the
    message can still say what it really is.
    """
    from wizard import sandbox

    ident = fingerprint.get("system_identifier")
    if not ident:
        return []
    found = []
    for name in SANDBOX_ROLES:
        if name == exclude:
            continue
        try:
            if sandbox.is_running(name) and str(sandbox.status(name).system_identifier) == str(ident):
                found.append(f"the local {name} cluster (database {fingerprint.get('database')})")
        except Exception:  # noqa: BLE001 - naming the server is a courtesy; the refusal stands anyway
            continue
    return found
