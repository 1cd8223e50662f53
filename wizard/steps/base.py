"""What every step kind receives and may raise."""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from wizard.environments import Environment
from wizard.errors import WizardError


class StepFailure(Exception):
    """The step could not do its work (not an unmet expectation). Carries data gathered so far."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data or {}


class AnswerMissing(WizardError):
    pass


@dataclass
class StepContext:
    env: Environment
    facts: dict[str, Any]
    saved: dict[str, Any]  # earlier results by save_as name
    placeholders: dict[str, str]
    connection: Callable[[], Awaitable[Any]]  # lazily opened, shared by the day's steps
    ask: Callable[[Any], Awaitable[Any]]  # how attest steps get an answer (answers file or a person)
    record_sql: Callable[[str], None] = lambda text: None
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    # Things that outlive one step within a day (a started backend service), shared by later
    # steps by name; each registers a cleanup the engine awaits when the day ends or is cancelled.
    resources: dict[str, Any] = field(default_factory=dict)
    add_cleanup: Callable[[Callable[[], Awaitable[None]]], None] = lambda fn: None
    secret: Callable[[str], str | None] = lambda name: None  # e.g. secret("api_token"); never journaled

    def expand(self, text: str) -> str:
        """Fill {placeholders}; unknown ones are an error, not silently left in a path."""

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self.placeholders:
                return self.placeholders[key]
            raise StepFailure(f"unknown placeholder {{{key}}} in {text!r}")

        return re.sub(r"\{([a-z_][a-z_.]*)\}", sub, text)

    def path(self, text: str) -> Path:
        return Path(self.expand(text)).expanduser()


def default_placeholders(env: Environment, workspace: Path | None) -> dict[str, str]:
    from wizard.paths import sql_dir

    shipped = sql_dir()
    placeholders = {
        "python": sys.executable,
        "env.name": env.name,
        "env.kind": env.kind,
        "env.role": env.role,
        "migrations": str(shipped / "migrations"),
        "sql": str(shipped),
        "workspace": str(workspace) if workspace else "",
    }
    if workspace:
        database = workspace / "database"
        if (database / "migrations").is_dir():
            placeholders["migrations"] = str(database / "migrations")
        if (database / "VERIFICATION_QUERIES.sql").exists():
            placeholders["sql"] = str(database)
    return placeholders
