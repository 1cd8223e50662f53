"""The step interface: what a step kind declares, what it receives, and what it may raise.

A kind is one module in wizard/steps/ that satisfies :class:`StepModule`: a ``KIND``
declaration (its parameters as a msgspec Struct, whether it needs a database, whether it writes,
the result fields expectations can use) and ``run``/``preview``. The loader validates runbooks
from the declarations and docs/RUNBOOKS.md is generated from them, so this module and the
declarations must import cheaply: a kind imports its heavy libraries inside ``run``.
"""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Annotated, Awaitable, Callable, Generic, Protocol, TypeVar, runtime_checkable

import msgspec
from msgspec import Meta

from wizard.errors import WizardError

if TYPE_CHECKING:
    from wizard.environments import Environment
    from wizard.runbook.model import Step


class StepFailure(Exception):
    """The step could not do its work (not an unmet expectation). Carries data gathered so far."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data or {}


class StepCancelled(Exception):
    """The operator cancelled; whatever the step was doing was stopped (a statement on the server,
    a process, a request)."""


class AnswerMissing(WizardError):
    pass


class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A kind's parameters. Subclass it with one annotated field per parameter:
    ``name: Annotated[type, param("what it is", examples=[...], gt=0)] = default``; a field
    without a default is required and comes first (msgspec keeps positional field order)."""


def param(description: str, **meta: Any) -> Meta:
    """A parameter's description, examples and constraints (gt, ge, pattern, min_length, …)."""
    return Meta(description=description, **meta)


# A PostgreSQL duration as `set lock_timeout` takes it; `what`/`fix` word the loader's message.
Duration = Annotated[str, Meta(
    pattern=r"^\s*[0-9]+\s*(ms|s|min|h)?\s*$",
    extra={"what": "a PostgreSQL duration", "fix": "Write a whole number with a unit (ms, s, min, h)"},
)]


class ParamProblem(Exception):
    """A rule across parameters is broken; `key` is the parameter's key path within the step."""

    def __init__(self, key: str, what: str, fix: str) -> None:
        super().__init__(what)
        self.key, self.what, self.fix = key, what, fix


# Declarations are msgspec Structs rather than dataclasses: defining one costs a fraction of a
# dataclass, and they are defined whenever a runbook is loaded.
class ResultField(msgspec.Struct, frozen=True):
    name: str
    type: str
    description: str


P = TypeVar("P", bound=Params)


class StepKind(msgspec.Struct, Generic[P], frozen=True, kw_only=True):
    """What a kind is, declared once in its module."""

    name: str
    description: str  # one line: what the step does or measures
    params: type[P]
    results: tuple[ResultField, ...]
    needs_database: bool = False  # the day's connection must be opened (and a password asked) for it
    writes: bool = False  # it changes something outside the wizard (a migration applied, a service started)
    writes_if: Callable[[P], bool] | None = None  # when only some of its steps write (a dry run does not)
    check: Callable[[P], None] | None = None  # rules across parameters; raises ParamProblem
    # Parameters naming the save_as of an earlier step, and that step's kind: {"baseline": "command"}.
    references: dict[str, str] = {}
    # What run() imports when it runs (psycopg, pglast, aiohttp, …); warm_up() loads them ahead.
    runtime_imports: tuple[str, ...] = ()
    rank: int = 0  # where the kind is listed (docs, error hints): the runbook's own order

    def convert(self, raw: dict[str, Any]) -> P:
        """The typed parameters, defaults applied; raises msgspec.ValidationError."""
        return msgspec.convert(raw, self.params, strict=True)

    def read(self, step: Step) -> P:
        """The step's parameters as the body reads them (the loader has validated them already)."""
        try:
            return self.convert(step.params)
        except msgspec.ValidationError as exc:
            raise StepFailure(f"step {step.id}: invalid {self.name} parameters: {exc}") from None


@runtime_checkable
class StepModule(Protocol):
    """A step kind's module."""

    KIND: StepKind[Any]

    async def run(self, step: Step, ctx: StepContext) -> dict[str, Any]: ...

    def preview(self, step: Step, ctx: StepContext) -> dict[str, str]: ...


# Where a running step finds the face's live display in ctx.resources, when one is watching:
# PROGRESS(fraction or None, text) and OUTPUT(newest lines, each once). Both are optional and
# never raise; a kind calls them at most about four times a second (each call repaints a screen).
PROGRESS = "progress"
OUTPUT = "output"


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
    # Relative file parameters are the runbook's: they resolve from its folder, not the cwd.
    base: Path | None = None
    # The files this step has read, by path: the gate hashes a migration file and the step applies
    # the same bytes, so a file saved while the operator types the name never runs unchecked.
    files: dict[Path, bytes] = field(default_factory=dict)
    # The after-fingerprints of the last migration applied on this environment (the journal's).
    last_fingerprints: dict[str, Any] = field(default_factory=dict)

    def expand(self, text: str) -> str:
        """Fill {placeholders}; unknown ones are an error, not silently left in a path."""

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self.placeholders:
                return self.placeholders[key]
            raise StepFailure(f"unknown placeholder {{{key}}} in {text!r}")

        return re.sub(r"\{([a-z_][a-z_.]*)\}", sub, text)

    def path(self, text: str) -> Path:
        path = Path(self.expand(text)).expanduser()
        return self.base / path if self.base is not None and not path.is_absolute() else path

    def read_once(self, path: Path) -> bytes:
        """The file's bytes as first read during this step; later reads get the same bytes."""
        if path not in self.files:
            self.files[path] = path.read_bytes()
        return self.files[path]


def default_placeholders(env: Environment, workspace: Path | None, runbook_dir: Path | None = None) -> dict[str, str]:
    from wizard.paths import sql_dir

    shipped = sql_dir()
    placeholders = {
        "runbook_dir": str(runbook_dir) if runbook_dir else "",
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
