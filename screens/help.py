"""The help screen: every key (as currently mapped), what the task states and banner colours mean."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from screens.actions import ACTIONS, SCOPE_TITLES, bindings
from screens.base import WizardScreen


def key_names(keys: str) -> str:
    names = {"question_mark": "?", "escape": "Esc", "enter": "Enter", "ctrl+k": "Ctrl+K", "ctrl+p": "Ctrl+P",
             "f1": "F1", "ctrl+q": "Ctrl+Q"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def help_markdown(keymap: dict[str, str]) -> str:
    lines = ["# migration-wizard — help", ""]
    for scope in ("app", "overview", "task", "environments", "help"):
        lines += [f"## {SCOPE_TITLES[scope]}", "", "| Key | Action | What it does |", "|---|---|---|"]
        for act in (a for a in ACTIONS if a.scope == scope):
            lines.append(f"| {key_names(keymap.get(act.id, act.keys))} | {act.title} | {act.help} |")
        if scope == "app":
            lines.append("| Ctrl+P | Commands | The command palette: every action above, and every day and task by name. |")
        if scope == "overview":
            lines.append("| ↑ ↓ / Tab / Enter | Move | Days on the left, tasks on the right; Enter opens a task. Mouse clicks work too. |")
        lines.append("")
    lines += [
        "## Task states", "",
        "**not started** · **running** · **passed** · **attested** (a person stated it) · **skipped** · "
        "**failed** (an expectation did not hold, or the step could not run) · **cancelled** · "
        "**interrupted** (an earlier session ended during it; running it again resumes) · **partly done**.",
        "",
        "States are read from the journal: quitting and reopening shows the same week.", "",
        "## The banner", "",
        "The top line names the environment every action applies to, with its kind spelled out: "
        "**SANDBOX** (green; red when it plays production, so the rehearsal trains the real cue), "
        "**STAGING** (amber), **PRODUCTION** (red), **OFFLINE** review (grey). "
        "Host, port, database, server version and the server's fingerprint follow once connected. "
        "Every confirmation repeats it.", "",
        "Remap keys in `keymap.toml` in the config dir (`~/.config/migration-wizard/`, or "
        "`$MIGRATION_WIZARD_CONFIG`), one line per binding id: `\"wizard.run_day\" = \"R\"`. "
        "The ids are `wizard.run_day`, `wizard.cancel`, … (the actions table in screens/actions.py).",
    ]
    return "\n".join(lines)


class HelpScreen(WizardScreen):
    BINDINGS = bindings("help")
    palette_scope = "help"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(help_markdown(getattr(self.app, "wizard_keymap", {})), id="help-text")

    def action_back(self) -> None:
        self.dismiss()
