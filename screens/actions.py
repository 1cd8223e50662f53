"""Every action the operator can take, in one table: keys, footer text, help text, palette entry.

Bindings are built from this table with stable ids (`wizard.run_day`, …) so a keymap can
remap them later (`App.set_keymap({"wizard.run_day": "R"})`); the help screen and the command
palette read the same table, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class WizardAction:
    id: str
    keys: str  # comma-separated Textual key names; the first is the one shown
    action: str  # action method name (without "action_") on the app or the screen
    title: str  # footer and palette text
    help: str  # one sentence for the help screen and the palette
    scope: str  # app | overview | task | help | environments
    show: bool = True
    key_display: str | None = None
    priority: bool = False


ACTIONS: tuple[WizardAction, ...] = (
    WizardAction("wizard.help", "f1,question_mark", "help", "Help", "Keys, task states and the banner colours.", "app", key_display="F1/?"),
    WizardAction("wizard.cancel", "ctrl+k", "cancel_step", "Cancel",
                 "Cancel the running step: the server stops the statement (or the process is stopped) and the step shows cancelled.",
                 "app"),
    # Week and Env are left out of the footer (Esc is back to the week; F1 and Ctrl+P list both).
    WizardAction("wizard.week", "w", "week", "Week", "Back to the week overview.", "app", show=False),
    WizardAction("wizard.switch_env", "e", "switch_env", "Env",
                 "Switch to another environment that writes to the same journal (the two sandboxes).", "app",
                 show=False),
    WizardAction("wizard.environments", "E", "environments", "Environments",
                 "Every environment (sandboxes and profiles): add a profile, test a connection and its pin, forget "
                 "a profile's secrets.", "app", show=False, key_display="E"),  # the footer is full: F1 and Ctrl+P list it
    WizardAction("wizard.export", "x", "export", "Export",
                 "Write the week's documents (the ones its runbook declares: for Week 1 the migration log, verification "
                 "results, final report, next week's checklist and team update) from the journal; asks where, "
                 "beside the journal by default.", "app"),
    WizardAction("wizard.new_week", "N", "new_week", "New week",
                 "Rehearsal only: start a new week (asks first, naming where the current journal is kept; both "
                 "sandbox clusters are rebuilt). Opening the rehearsal again otherwise reopens the week where it stopped.",
                 "app", show=False, key_display="N"),
    WizardAction("wizard.quit", "q", "quit", "Quit",
                 "Quit. If a step is running, asks first, then cancels it and closes the connection so no transaction stays open.",
                 "app"),
    WizardAction("wizard.run_day", "r", "run_day", "Run day",
                 "Run the selected day on this environment, resuming after the last passed step.", "overview"),
    WizardAction("wizard.run_task", "t", "run_task", "Run task", "Run every step of the selected task.", "overview"),
    WizardAction("wizard.prev_day", "left", "prev_day", "Prev day", "Show the previous day's tasks.", "overview",
                 show=False, key_display="←", priority=True),
    WizardAction("wizard.next_day", "right", "next_day", "Next day", "Show the next day's tasks.", "overview",
                 show=False, key_display="→", priority=True),
    WizardAction("wizard.open_task", "o", "open_task", "Open task",
                 "Open the selected task: instructions, each step's SQL or command, verdicts and results (Enter works too).",
                 "overview"),
    WizardAction("wizard.run_step", "s", "run_step", "Run step", "Run the selected step only.", "task"),
    WizardAction("wizard.task_run_task", "t", "run_task", "Run task", "Run every step of this task.", "task"),
    WizardAction("wizard.task_run_day", "r", "run_day", "Run day", "Run this task's whole day.", "task"),
    # n and p are left out of the task screen's footer so Export and Quit fit at 80 columns; F1 lists them.
    WizardAction("wizard.next_task", "n", "next_task", "Next task", "Open the next task of the week.", "task",
                 show=False),
    WizardAction("wizard.prev_task", "p", "prev_task", "Prev task", "Open the previous task of the week.", "task",
                 show=False),
    WizardAction("wizard.back", "escape", "back", "Back", "Close this screen.", "task", key_display="Esc"),
    WizardAction("wizard.help_back", "escape,f1,question_mark", "back", "Back", "Close the help.", "help", key_display="Esc"),
    WizardAction("wizard.env_add", "a", "add_profile", "Add profile",
                 "Add a profile: name, kind, connection string; a password and API token go to the OS keyring.",
                 "environments"),
    WizardAction("wizard.env_test", "t", "test_env", "Test",
                 "Connect to the selected environment: server version, fingerprint, and its pin (pinned on first test).",
                 "environments"),
    WizardAction("wizard.env_forget", "f", "forget_env", "Forget",
                 "Forget the selected profile's keyring secrets (asks first); optionally remove the profile and unpin it.",
                 "environments"),
    WizardAction("wizard.env_back", "escape", "back", "Back", "Close the environments screen.", "environments",
                 key_display="Esc"),
)

SCOPE_TITLES = {"app": "Everywhere", "overview": "Week overview", "task": "Task screen", "help": "Help screen",
                "environments": "Environments screen"}


def actions_for(scope: str) -> list[WizardAction]:
    return [a for a in ACTIONS if a.scope == scope]


def bindings(scope: str) -> list[Binding]:
    return [
        Binding(a.keys, a.action, a.title, show=a.show, key_display=a.key_display, priority=a.priority, id=a.id,
                tooltip=a.help)
        for a in actions_for(scope)
    ]
