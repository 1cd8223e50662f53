"""The week as data: a model of days, tasks and steps, and the loader that validates it."""

from wizard.runbook.model import Day, Runbook, Step, Task, Trouble  # noqa: F401
from wizard.runbook.loader import load_runbook, default_runbook_path  # noqa: F401
