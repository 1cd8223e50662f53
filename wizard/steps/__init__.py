"""Step kinds: one module each, found here by looking at the modules of this package.

A module that declares ``KIND`` is a kind (see :class:`wizard.steps.base.StepModule`); the
runbook loader, the engine and the docs read those declarations, so adding a kind is adding a
module. Importing this package imports every kind's module, which is why they import cheaply.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from wizard.steps.base import Params, StepKind, StepModule

if TYPE_CHECKING:
    from wizard.runbook.model import Step


def _discover() -> dict[str, StepModule]:
    found: list[StepModule] = []
    # A plain listing: pkgutil costs more to import than the listing itself.
    names = sorted(entry[:-3] for entry in os.listdir(__path__[0]) if entry.endswith(".py") and entry != "__init__.py")
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if not hasattr(module, "KIND"):
            if hasattr(module, "run"):  # a kind that forgot to declare itself must not vanish
                raise ImportError(f"{module.__name__} has run() but no KIND declaration")
            continue
        if not isinstance(module, StepModule) or module.KIND.name != name:
            raise ImportError(f"{module.__name__}: KIND must be a StepKind named {name!r}, "
                              "with run() and preview() beside it")
        found.append(module)
    found.sort(key=lambda m: (m.KIND.rank, m.KIND.name))
    return {m.KIND.name: m for m in found}


MODULES = _discover()
KINDS: dict[str, StepKind[Any]] = {name: module.KIND for name, module in MODULES.items()}
STEP_KINDS = tuple(KINDS)


def module_for(kind: str) -> StepModule | None:
    return MODULES.get(kind)


def needs_database(kind: str) -> bool:
    """Whether a step of this kind opens a connection to the environment's database (a kind this
    version does not know, in an older journal, does not)."""
    declared = KINDS.get(kind)
    return bool(declared and declared.needs_database)


def writes(step: Step) -> bool:
    """Whether this step changes something outside the wizard: the production gate guards it."""
    declared = KINDS.get(step.kind)
    if declared is None or not declared.writes:
        return False
    return declared.writes_if is None or declared.writes_if(declared.read(step))


def warm_up() -> None:
    """Import what the kinds import when they run, so a first run does not stall on it (the TUI
    calls this in a worker thread)."""
    for kind in KINDS.values():
        for name in kind.runtime_imports:
            importlib.import_module(name)


def read_params(step: Step) -> Params:
    """The step's parameters, typed and with the kind's defaults (for helpers shared by kinds)."""
    return KINDS[step.kind].read(step)
