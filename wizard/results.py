"""Step results as plain data: the same object feeds the screen, the journal and the exports."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

PASSED = "passed"
FAILED = "failed"  # an expectation did not hold
ERROR = "error"  # the step could not run (SQL error, missing file, …)
CANCELLED = "cancelled"
SKIPPED = "skipped"
ATTESTED = "attested"  # a person stated the fact; counts as passed

OK_STATUSES = (PASSED, ATTESTED, SKIPPED)


@dataclass
class Check:
    check: str
    describe: str
    ok: bool
    evidence: str


@dataclass
class StepResult:
    step_id: str
    kind: str
    status: str
    data: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    advice: list[dict[str, str]] = field(default_factory=list)
    started_at: str = ""
    duration_s: float = 0.0
    environment: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "StepResult":
        raw = dict(raw)
        raw["checks"] = [Check(**c) for c in raw.get("checks", [])]
        return cls(**raw)


@dataclass(frozen=True)
class StepProgress:
    """What a running step reports while it runs (never journaled: its result is the record).
    A field left at its default means "no news" for it, not "cleared"."""

    fraction: float | None = None  # 0..1 of the work done, when the step can tell
    text: str | None = None  # one line: time left, counts so far
    lines: tuple[str, ...] = ()  # its newest output lines since the last report, redacted


def to_jsonable(value: Any) -> Any:
    """Database values made JSON-safe while keeping numbers numbers (counts stay comparable)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return str(value)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
