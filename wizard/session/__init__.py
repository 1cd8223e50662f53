"""The session layer: the one application layer both faces (wizard.cli, screens) call.

It opens an environment (resolve, secrets, pin), opens and locks a journal, plans and runs days
and tasks with every guard, exports, and gives the faces plain view data. See docs/ARCHITECTURE.md.
"""

from wizard.environments import KINDS, ROLES, SANDBOX_ROLES, Environment
from wizard.guards import prompt_for as prompt_for_production
from wizard.results import StepResult
from wizard.runbook.model import Day, Runbook, Step, Task
from wizard.session.core import EXIT_FAILED, EXIT_OK, EXIT_USAGE, RunOutcome, Session
from wizard.session.dialogue import AnswersDialogue, Dialogue, load_answers
from wizard.session.journals import journal_path, writer_lock
from wizard.journal import Fold
from wizard.steps.base import StepCancelled, StepFailure

__all__ = [
    "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "KINDS", "ROLES", "SANDBOX_ROLES", "AnswersDialogue", "Fold",
    "StepCancelled", "StepFailure", "Day", "Dialogue", "Environment", "RunOutcome",
    "Runbook", "Session", "Step", "StepResult", "Task", "journal_path", "load_answers", "prompt_for_production",
    "writer_lock",
]
