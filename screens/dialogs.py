"""Dialogs: confirmations, the attest form, the environment picker.

Each repeats the environment's name, kind and colour inside the dialog itself (on top of the
banner above it): a decision is never taken without seeing where it applies.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import WizardModal
from wizard.banner import BannerInfo
from wizard.runbook.model import Step
from wizard.session import NOT_APPLICABLE, AnswerInvalid, validate_answer as validate


class EnvChip(Static):
    """The environment, spelled out, on its colour."""

    def __init__(self, info: BannerInfo) -> None:
        super().__init__(info.text(), classes=f"env-chip {info.css_class}", markup=False)


class ConfirmScreen(WizardModal):
    """Yes/No, with the environment repeated. Dismisses with True or False."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="wizard.confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="wizard.confirm_no", key_display="n/Esc"),
    ]

    def __init__(self, title: str, message: str, info: BannerInfo, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.message, self.info, self.yes, self.no = title, message, info, yes, no

    YES_KEY = "y"  # shown on the Yes button
    SCROLLS = False  # a dialog with details scrolls on a small terminal

    def yes_variant(self) -> str:
        return "error" if self.info.kind == "production" else "warning"

    def compose_details(self) -> ComposeResult:
        """What a dialog shows between its message and its buttons (none here)."""
        yield from ()

    def compose_body(self) -> ComposeResult:
        box = VerticalScroll if self.SCROLLS else Vertical
        with box(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.message, classes="dialog-message", markup=False)
            yield from self.compose_details()
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} ({self.YES_KEY})", id="yes", variant=self.yes_variant())
                yield Button(f"{self.no} (n)", id="no", variant="default")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


def answer_hint(step: Step, env_name: str) -> str:
    hint = _answer_hint(step, env_name)
    if step.optional:
        hint += " Optional: Ctrl+N answers “not applicable” (journaled as such; the step is skipped)."
    return hint


def _answer_hint(step: Step, env_name: str) -> str:
    params = step.params
    kind = params.get("answer_type")
    if kind == "timestamp":
        age = params.get("max_age_hours")
        return ("A date and time, e.g. 2026-11-24 21:30 (your local time) or 2026-11-24T21:30:00Z (UTC)"
                + (f"; no older than {age:g} h." if age is not None else "."))
    if kind == "confirm" and params.get("must_equal"):
        expected = str(params["must_equal"]).replace("{env.name}", env_name)
        return f"Type {expected} exactly to confirm: this is the environment the next steps act on."
    if kind == "confirm":
        return "yes or no."
    if kind == "integer":
        return "A whole number."
    if kind == "choice":
        # Quoted and on lines of their own: a choice may itself contain a comma.
        return ("One of (its number or the word before its colon is enough):\n"
                + "\n".join(f"  {i}. “{c}”" for i, c in enumerate(params.get("choices", []), 1)))
    return "Your answer."


def suggestion_note(step: Step, suggestion: str, note: str | None) -> str:
    """Why the rehearsal has an answer to offer, worded for the kind of question; the runbook's
    rehearsal answers may carry their own note (e.g. where a timestamp came from)."""
    head = note
    if not head:
        head = f"the rehearsal's answer: {suggestion}"
        if step.params.get("answer_type") == "confirm":
            head += " — only you can say whether it is true"
    return f"Suggestion: {head}. Ctrl+S puts it in the box; check it before Enter."


class AttestScreen(WizardModal):
    """The attest form: the question, an empty Input, and the validator's message until the answer
    is acceptable. It starts empty so Enter alone never answers: a rehearsal's answer is only
    offered (Ctrl+S), and never for a typed name. Dismisses with the raw text, NOT_APPLICABLE
    (optional questions), or None when the operator cancels the step."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel step", id="wizard.attest_cancel", key_display="Esc"),
        Binding("ctrl+s", "use_suggestion", "Use suggestion", id="wizard.attest_suggestion"),
        Binding("ctrl+n", "not_applicable", "Not applicable", id="wizard.attest_not_applicable"),
    ]

    def __init__(self, task_id: str, step: Step, info: BannerInfo, suggestion: Any = None,
                 note: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.task_id, self.step, self.info = task_id, step, info
        typed_name = bool(step.params.get("must_equal"))
        self.suggestion = "" if suggestion is None or typed_name else str(suggestion)
        self.note = note
        self.refusals = 0
        self.took_suggestion = False  # Ctrl+S, not an answer that happens to equal it: the journal says which

    def compose_body(self) -> ComposeResult:
        step = self.step
        with Vertical(id="dialog", classes=f"dialog attest {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static(f"Task {self.task_id} · {step.id} — {step.title}", classes="dialog-title", markup=False)
            yield Static(str(step.params.get("question", "")), classes="dialog-message", markup=False)
            yield Static(answer_hint(step, self.info.name), classes="attest-hint", markup=False)
            if self.suggestion:
                yield Static(suggestion_note(step, self.suggestion, self.note), id="attest-suggestion",
                             classes="attest-hint", markup=False)
            yield Input("", placeholder="answer", id="answer")
            yield Static("", id="attest-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Answer (Enter)", id="submit", variant="primary")
                if self.suggestion:
                    yield Button("Suggestion (Ctrl+S)", id="use-suggestion")
                if step.optional:
                    yield Button("N/A (Ctrl+N)", id="not-applicable")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()
        self.query_one("#attest-error", Static).display = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use_suggestion":
            return bool(self.suggestion)
        if action == "not_applicable":
            return self.step.optional
        return True

    @on(Button.Pressed, "#use-suggestion")
    def action_use_suggestion(self) -> None:
        if self.suggestion:
            field = self.query_one("#answer", Input)
            field.value = self.suggestion
            field.cursor_position = len(self.suggestion)
            field.focus()
            self.took_suggestion = True

    @on(Button.Pressed, "#not-applicable")
    def action_not_applicable(self) -> None:
        if self.step.optional:
            self.dismiss(NOT_APPLICABLE)

    @on(Input.Submitted, "#answer")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        field = self.query_one("#answer", Input)
        error = self.query_one("#attest-error", Static)
        try:
            validate(self.step, field.value, env_name=self.info.name)
        except AnswerInvalid as exc:
            self.refusals += 1
            error.update(f"✗ {exc}")
            error.display = True
            field.focus()
            return
        self.dismiss(field.value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


DETAILS_CSS = """
VerticalScroll#dialog { height: auto; }
"""


class DropConfirmScreen(ConfirmScreen):
    """Before a migration drops tables (off production): the tables with their rows, size and
    dependents, then Yes/No; No (the focused button, n, Esc) runs nothing."""

    DEFAULT_CSS = DETAILS_CSS

    def __init__(self, step: Step, preview: dict[str, Any], info: BannerInfo) -> None:
        from screens.widgets.drop_preview import summary_line
        from wizard.session import takes_text

        super().__init__(
            f"{step.title}: {takes_text(preview, names=False)} on {info.name}?",
            f"Step {step.id} applies this file in one transaction; what it drops is archived first. "
            "Check the list: these tables, their dependents and the rewritten data go.",
            info, yes="Apply it", no="Don't run")
        self.step, self.preview, self.summary = step, preview, summary_line(preview)

    SCROLLS = True  # the focused button (No) stays in view on a small terminal; y/n still answer

    def yes_variant(self) -> str:
        return "warning"  # off production only: the production gate shows the same list

    def compose_details(self) -> ComposeResult:
        from screens.widgets.drop_preview import DropPreview, GateEvidence

        yield DropPreview(self.preview, id="drop-preview")
        yield GateEvidence(self.preview, id="drop-evidence")


class RetryScreen(ConfirmScreen):
    """After a migration gave up waiting for its locks (nothing was changed): Retry runs the same
    day, task or step again, resuming at the failed step; Not now leaves it stopped."""

    BINDINGS = [
        Binding("y,r", "answer(True)", "Retry", id="wizard.retry_yes", key_display="y/r"),
        Binding("n,escape", "answer(False)", "Not now", id="wizard.retry_no", key_display="n/Esc"),
    ]

    def __init__(self, step_id: str, error: str, env_name: str, info: BannerInfo) -> None:
        head = error.split(". ")[0]
        super().__init__(
            f"{step_id} gave up waiting for its locks on {env_name}",
            f"{head}.\nNothing was changed. When the sessions holding the locks are done (or stopped), "
            "Retry runs it again: the run resumes at this step.",
            info, yes="Retry", no="Not now")
        self.step_id = step_id

    YES_KEY = "r"

    def yes_variant(self) -> str:
        return "warning"  # retrying changes nothing the first try did not mean to


class TypedConfirmScreen(WizardModal):
    """The production gate: type the environment's name (not y/n), never pre-filled. A wrong name
    is shown and asked again; the dialog closes with the name, or None (Esc). The gate in
    wizard.guards judges what it is given all the same."""

    BINDINGS = [Binding("escape", "cancel", "Don't run", id="wizard.typed_cancel", key_display="Esc")]
    DEFAULT_CSS = DETAILS_CSS

    def __init__(self, prompt: str, expected: str, info: BannerInfo, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.prompt, self.expected, self.info = prompt, expected, info
        self.evidence = evidence or {}  # what the gate checked: staging match, backup, the migration's preview
        self.refusals = 0

    def compose_body(self) -> ComposeResult:
        from screens.widgets.drop_preview import DropPreview, GateEvidence

        # With the evidence, the dialog scrolls on a small terminal (the name box, focused, stays in view).
        box = VerticalScroll if self.evidence else Vertical
        with box(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static("Production change: type the environment's name", classes="dialog-title")
            yield Static(self.prompt.rstrip(": ").rstrip(), classes="dialog-message", markup=False)
            if self.evidence.get("preview"):
                yield DropPreview(self.evidence["preview"], id="drop-preview")
            if self.evidence.get("sha256") or self.evidence.get("backup"):
                yield GateEvidence(self.evidence, id="gate-evidence")
            yield Input("", placeholder="the environment's name", id="typed")
            yield Static("", id="typed-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Confirm (Enter)", id="submit", variant="error")
                yield Button("Don't run (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()
        self.query_one("#typed-error", Static).display = False

    @on(Input.Submitted, "#typed")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        field = self.query_one("#typed", Input)
        typed = field.value.strip()
        if typed != self.expected:
            self.refusals += 1
            error = self.query_one("#typed-error", Static)
            error.update(f"✗ {typed!r} is not {self.expected!r}. Type the name exactly, or Esc not to run."
                         if typed else f"✗ Nothing typed. Type {self.expected!r}, or Esc not to run.")
            error.display = True
            field.value = ""
            field.focus()
            return
        self.dismiss(typed)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class OneLineDialog(WizardModal):
    """A question answered on one line: the environment repeated, a title, a message, the line and
    two buttons. Enter or the first button answers; Esc or the second dismisses with None."""

    TITLE = ""
    INPUT_ID = "answer"
    PASSWORD = False
    SUBMIT = "OK (Enter)"

    def __init__(self, message: str, info: BannerInfo, value: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.message, self.info, self.value = message, info, value

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static(self.TITLE, classes="dialog-title")
            yield Static(self.message, classes="dialog-message", markup=False)
            yield Input(self.value, password=self.PASSWORD, id=self.INPUT_ID)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.SUBMIT, id="submit", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(f"#{self.INPUT_ID}", Input).focus()

    def answer(self, text: str) -> str | None:
        return text or None

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        self.dismiss(self.answer(self.query_one(f"#{self.INPUT_ID}", Input).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportScreen(OneLineDialog):
    """Where the week's documents go: the folder beside the journal, already in the box (Enter
    accepts it). Dismisses with the folder as typed, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="wizard.export_cancel", key_display="Esc")]
    TITLE = "Write the week's documents"
    INPUT_ID = "export-dir"
    SUBMIT = "Write (Enter)"

    def __init__(self, default: str, names: str, info: BannerInfo) -> None:
        super().__init__(f"From this journal: {names}. Into the folder (created if missing; files of the "
                         "same name are replaced):", info, default)
        self.default, self.names = default, names

    def answer(self, text: str) -> str | None:
        return text.strip() or None


class PasswordScreen(OneLineDialog):
    """A database password, masked; kept by wizard.secrets (keyring), never journaled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="wizard.password_cancel", key_display="Esc")]
    TITLE = "Database password"
    INPUT_ID = "password"
    PASSWORD = True
    SUBMIT = "Connect (Enter)"

    def __init__(self, prompt: str, info: BannerInfo) -> None:
        super().__init__(prompt.rstrip(": ").rstrip(), info)
        self.prompt = prompt


class EnvironmentScreen(WizardModal):
    """Pick another environment writing to the same journal. Dismisses with its name or None."""

    BINDINGS = [Binding("escape", "close", "Close", id="wizard.env_close", key_display="Esc")]

    def __init__(self, choices: list[tuple[str, str]], current: str, info: BannerInfo) -> None:
        super().__init__(classes="dialog-screen")
        self.choices, self.current, self.info = choices, current, info

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static("Switch environment", classes="dialog-title")
            yield Static("Only environments that share this journal are listed.", classes="dialog-message")
            yield OptionList(*[Option(f"{name}  ({text})" + ("  · current" if name == self.current else ""), id=name)
                               for name, text in self.choices], id="env-choices")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
