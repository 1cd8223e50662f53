"""Step kinds: one module each, each with `async run(step, ctx) -> data` and `preview(step, ctx)`."""

from __future__ import annotations

import importlib
from types import ModuleType

from wizard.runbook.model import STEP_KINDS

_MODULES = {kind: f"wizard.steps.{kind}" for kind in STEP_KINDS}


def module_for(kind: str) -> ModuleType | None:
    """The module implementing a kind, or None while that kind is not built yet."""
    try:
        return importlib.import_module(_MODULES[kind])
    except ModuleNotFoundError as exc:
        if exc.name == _MODULES[kind]:
            return None
        raise


def needs_database(kind: str) -> bool:
    """Whether a step of this kind opens a connection to the environment's database."""
    return kind in ("query", "migration")
