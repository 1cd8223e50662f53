"""What an environment is: where a step runs, what it plays, and the colour it is shown in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    lock_wait: str | None = None  # how long its migrations may wait for their locks up front (a PostgreSQL duration)

    @property
    def display_colour(self) -> str:
        return self.colour or KIND_COLOURS[self.kind]

    def describe(self) -> dict[str, Any]:
        """What may be written down about this environment: no secret ever."""
        info = {k: v for k, v in self.conninfo.items() if k not in ("password", "passfile")}
        return {"name": self.name, "kind": self.kind, "role": self.role, **info}


SANDBOX_ROLES = {"sandbox-staging": "staging", "sandbox-production": "production"}

