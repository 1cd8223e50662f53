"""Dialogs: confirmations, the attest form, the environment picker.

Each repeats the environment's name, kind and colour inside the dialog itself (on top of the
banner above it): a decision is never taken without seeing where it applies.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import WizardModal
from wizard.banner import BannerInfo
from wizard.runbook.model import Step
from wizard.session import AnswerInvalid, validate_answer as validate


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

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.message, classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error" if self.info.kind == "production" else "warning")
                yield Button(f"{self.no} (n)", id="no", variant="default")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


def answer_hint(step: Step, env_name: str) -> str:
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
        return "One of: " + ", ".join(params.get("choices", [])) + "."
    return "Your answer."


class AttestScreen(WizardModal):
    """The attest form: the question, an Input, and the validator's message until the answer is
    acceptable. Dismisses with the raw text, or None when the operator cancels the step."""

    BINDINGS = [Binding("escape", "cancel", "Cancel step", id="wizard.attest_cancel", key_display="Esc")]

    def __init__(self, task_id: str, step: Step, info: BannerInfo, suggestion: Any = None) -> None:
        super().__init__(classes="dialog-screen")
        self.task_id, self.step, self.info = task_id, step, info
        self.suggestion = "" if suggestion is None else str(suggestion)
        self.refusals = 0

    def compose_body(self) -> ComposeResult:
        step = self.step
        with Vertical(id="dialog", classes=f"dialog attest {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static(f"Task {self.task_id} · {step.id} — {step.title}", classes="dialog-title", markup=False)
            yield Static(str(step.params.get("question", "")), classes="dialog-message", markup=False)
            yield Static(answer_hint(step, self.info.name), classes="attest-hint", markup=False)
            if self.suggestion:
                yield Static("Filled in from the rehearsal (the real backup it took); check it, then press Enter.",
                             classes="attest-hint", markup=False)
            yield Input(self.suggestion, placeholder="answer", id="answer")
            yield Static("", id="attest-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Answer (Enter)", id="submit", variant="primary")
                yield Button("Cancel step (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()
        self.query_one("#attest-error", Static).display = False

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


class TypedConfirmScreen(WizardModal):
    """The production gate: type the environment's name (not y/n). Dismisses with the text typed,
    or None; the gate in wizard.guards judges it."""

    BINDINGS = [Binding("escape", "cancel", "Don't run", id="wizard.typed_cancel", key_display="Esc")]

    def __init__(self, prompt: str, expected: str, info: BannerInfo) -> None:
        super().__init__(classes="dialog-screen")
        self.prompt, self.expected, self.info = prompt, expected, info

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static("Production change: type the environment's name", classes="dialog-title")
            yield Static(self.prompt.rstrip(": ").rstrip(), classes="dialog-message", markup=False)
            yield Input(placeholder=f"type {self.expected} here", id="typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Confirm (Enter)", id="submit", variant="error")
                yield Button("Don't run (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    @on(Input.Submitted, "#typed")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        self.dismiss(self.query_one("#typed", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PasswordScreen(WizardModal):
    """A database password, masked; kept by wizard.secrets (keyring), never journaled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="wizard.password_cancel", key_display="Esc")]

    def __init__(self, prompt: str, info: BannerInfo) -> None:
        super().__init__(classes="dialog-screen")
        self.prompt, self.info = prompt, info

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static("Database password", classes="dialog-title")
            yield Static(self.prompt.rstrip(": ").rstrip(), classes="dialog-message", markup=False)
            yield Input(password=True, id="password")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Connect (Enter)", id="submit", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        self.dismiss(self.query_one("#password", Input).value or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


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
