"""The session layer: the one application layer both faces (wizard.cli, screens) call.

It opens an environment (resolve, secrets, pin), opens and locks a journal, plans and runs days
and tasks with every guard, exports, builds the review model and gives the faces plain view data.
See docs/ARCHITECTURE.md.

Names are re-exported lazily: the offline review's first paint needs only `wizard.session.review`,
and the engine side (psycopg, pglast, the guards) would otherwise load before it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wizard.environments.model import KINDS, ROLES, SANDBOX_ROLES, Environment
    from wizard.guards import backup_line, drop_lines, dry_run_line, locks_line, prompt_for as prompt_for_production, rewrite_line, rewrites, takes_text, utc_minute
    from wizard.journal.fold import Fold
    from wizard.results import StepProgress, StepResult
    from wizard.runbook.model import Day, Runbook, Step, Task
    from wizard.session.core import EXIT_FAILED, EXIT_OK, EXIT_USAGE, RunOutcome, Session
    from wizard.session.dialogue import AnswersDialogue, Dialogue, RehearsalDialogue, load_answers
    from wizard.session.journals import journal_path, writer_lock
    from wizard.steps.attest import NOT_APPLICABLE, AnswerInvalid, validate as validate_answer
    from wizard.steps.base import StepCancelled, StepFailure

# name -> (module, attribute)
_HOME = {
    "KINDS": ("wizard.environments.model", "KINDS"), "ROLES": ("wizard.environments.model", "ROLES"),
    "SANDBOX_ROLES": ("wizard.environments.model", "SANDBOX_ROLES"),
    "Environment": ("wizard.environments.model", "Environment"),
    "prompt_for_production": ("wizard.guards", "prompt_for"), "drop_lines": ("wizard.guards", "drop_lines"),
    # what a migration takes and what a rollback would rest on, in the gates' own words
    "takes_text": ("wizard.guards", "takes_text"), "rewrites": ("wizard.guards", "rewrites"),
    "rewrite_line": ("wizard.guards", "rewrite_line"), "backup_line": ("wizard.guards", "backup_line"),
    "dry_run_line": ("wizard.guards", "dry_run_line"), "utc_minute": ("wizard.guards", "utc_minute"),
    "locks_line": ("wizard.guards", "locks_line"),
    "Fold": ("wizard.journal.fold", "Fold"),
    "StepProgress": ("wizard.results", "StepProgress"), "StepResult": ("wizard.results", "StepResult"),
    "Day": ("wizard.runbook.model", "Day"), "Runbook": ("wizard.runbook.model", "Runbook"),
    "Step": ("wizard.runbook.model", "Step"), "Task": ("wizard.runbook.model", "Task"),
    "EXIT_FAILED": ("wizard.session.core", "EXIT_FAILED"), "EXIT_OK": ("wizard.session.core", "EXIT_OK"),
    "EXIT_USAGE": ("wizard.session.core", "EXIT_USAGE"), "RunOutcome": ("wizard.session.core", "RunOutcome"),
    "Session": ("wizard.session.core", "Session"),
    "AnswersDialogue": ("wizard.session.dialogue", "AnswersDialogue"),
    "Dialogue": ("wizard.session.dialogue", "Dialogue"),
    "RehearsalDialogue": ("wizard.session.dialogue", "RehearsalDialogue"), "load_answers": ("wizard.session.dialogue", "load_answers"),
    "journal_path": ("wizard.session.journals", "journal_path"),
    "writer_lock": ("wizard.session.journals", "writer_lock"),
    "AnswerInvalid": ("wizard.steps.attest", "AnswerInvalid"), "NOT_APPLICABLE": ("wizard.steps.attest", "NOT_APPLICABLE"), "validate_answer": ("wizard.steps.attest", "validate"),
    "StepCancelled": ("wizard.steps.base", "StepCancelled"), "StepFailure": ("wizard.steps.base", "StepFailure"),
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _HOME[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
