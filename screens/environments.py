"""The environments screen: every environment (the two sandboxes and the profiles), what the OS
keyring holds for each (stored or not, never the value) and its pin in the current journal; add a
profile, test a connection, forget a profile's secrets.

Thin by design: wizard.session.environments does the work (the same functions `migration-wizard env …`
uses), this screen asks, shows, and runs each call in a thread worker. Passwords and the API token
are typed in masked Inputs and go straight to the keyring through the engine; nothing here keeps,
logs or shows them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static

from screens.actions import bindings
from screens.base import WizardModal, WizardScreen
from screens.dialogs import ConfirmScreen, EnvChip, PasswordScreen
from wizard.banner import BannerInfo, banner_for
from wizard.session import KINDS, ROLES, SANDBOX_ROLES, Environment, journal_path
from wizard.session import environments as envs
from wizard.session.environments import resolve_environment
from wizard.errors import WizardError
from wizard.redact import redact

if TYPE_CHECKING:
    from wizard.session.environments import EnvRow

COLUMNS = (("Environment", "name", 20), ("Kind", "kind", 20), ("Host / database", "where", 30),
           ("Password", "password", 8), ("API token", "token", 9), ("Pinned", "pin", 19))
WHERE_WIDTH = next(width for _, key, width in COLUMNS if key == "where")
KIND_STYLES = {"sandbox": "bold green", "staging": "bold yellow", "production": "bold red"}


def journal_of(env: Environment) -> Path:
    """The journal an environment's runs write by default (the one `env test` reads its pin from)."""
    return journal_path(None, env)


def _lines_text(lines: list[tuple[str, str]]) -> str:
    """The engine's (level, text) lines as the CLI prints them, without colour markup."""
    return "\n".join(("✓ " if level == "ok" else "") + text for level, text in lines)


def _problem_text(exc: WizardError) -> str:
    return redact(f"✗ {exc.what}" + (f"\n  → {exc.fix}" if exc.fix else ""))


@dataclass(frozen=True)
class ForgetChoice:
    remove_profile: bool
    unpin: bool


class EnvironmentsScreen(WizardScreen):
    """The environments table, the selected one's details, and what the last action found."""

    BINDINGS = bindings("environments")
    palette_scope = "environments"
    AUTO_FOCUS = "#env-table"

    def __init__(self) -> None:
        super().__init__(id="environments")
        self.rows: list[EnvRow] = []
        self.keyring_ok = True
        self.busy = ""  # what a worker is doing now ("" when idle)
        self._pending: concurrent.futures.Future[Any] | None = None  # a password dialog the test waits on
        self._select_next: str | None = None  # a profile just added: selected once listed

    # --- layout ----------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static("", id="env-title", markup=False)
        yield Static("", id="env-keyring", markup=False)
        yield DataTable(id="env-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="env-detail", markup=False)
        with VerticalScroll(id="env-result-box"):
            yield Static("a adds a profile · t tests the selected environment · f forgets a profile's secrets · "
                         "Esc goes back", id="env-result", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#env-table", DataTable)
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.border_title = "Environments"
        self.query_one("#env-result-box").border_title = "Last action"
        self.refresh_view()

    # --- data --------------------------------------------------------------------------
    def refresh_view(self) -> None:
        """Re-read profiles and the keyring (in a thread: the keyring may block) with the live pins."""
        self.load_rows(self.wizard.journal_path, dict(self.wizard.state.pins))

    @work(thread=True, exclusive=True, group="env-rows", description="list the environments")
    def load_rows(self, current: Path, current_pins: dict[str, Any]) -> None:

        read: dict[Path, dict[str, Any]] = {current: current_pins}

        def pins_of(env: Environment) -> dict[str, Any]:
            # Each environment's pin lives in the journal its runs write (as `env test` reads it).
            path = journal_of(env)
            if path not in read:
                read[path] = envs.pins_in(path)
            return read[path]

        rows, problem = envs.environment_rows(pins_of=pins_of)
        keyring_ok, status = envs.keyring_available(), envs.keyring_status()
        self.app.call_from_thread(self._show_rows, rows, problem, keyring_ok, status)

    def _show_rows(self, rows: list[EnvRow], problem: WizardError | None, keyring_ok: bool, status: str) -> None:
        if not self.is_attached:
            return
        fmt = self.wizard.fmt
        self.rows, self.keyring_ok = rows, keyring_ok

        self.query_one("#env-title", Static).update(
            f"Profiles: {fmt.path(str(envs.profiles_location()))} · each pin is read from that environment's own "
            "journal (sandboxes: rehearsal.jsonl; profiles: week1.jsonl)")
        keyring_line = self.query_one("#env-keyring", Static)
        if keyring_ok:
            keyring_line.update(f"Secrets: {status}. Only whether one is stored is shown, never its value.")
        else:
            keyring_line.update(f"⚠ {status[:1].upper()}{status[1:]}. Passwords typed here cannot be stored; "
                                "the wizard writes no secret to a file.")
        keyring_line.set_class(not keyring_ok, "env-warning")
        table = self.query_one("#env-table", DataTable)
        selected = self.selected_name()
        table.clear()
        for row in rows:
            env = row.env
            name = env.name + (" ◂" if env.name == self.wizard.env.name else "")
            kind = env.kind + (f" ({env.role})" if env.kind == "sandbox" else "")
            where = fmt.path(row.where) + (f" / {row.database}" if row.database else "")
            if len(where) > WHERE_WIDTH:  # the end tells environments apart (a socket's cluster); the line below has it whole
                where = "…" + where[-(WHERE_WIDTH - 1):]
            table.add_row(name, Text(kind, style=KIND_STYLES.get(env.kind, "")), where,
                          self._stored(row, row.password), self._stored(row, row.token), row.pin or "no", key=env.name)
        self.call_after_refresh(self._sideways_hint)
        names = [r.env.name for r in rows]
        if self._select_next in names:
            selected, self._select_next = self._select_next, None
        if selected in names:
            table.move_cursor(row=names.index(selected))
        self._show_detail()
        if problem is not None:
            self.say(_problem_text(problem), "error")

    def _stored(self, row: EnvRow, value: bool | None) -> str:
        if row.built_in:
            return "—"
        if value is None:
            return "n/a"  # no OS keyring: the line above the table says so
        return "yes" if value else "no"

    def selected_row(self) -> EnvRow | None:
        table = self.query_one("#env-table", DataTable)
        if not self.rows or table.cursor_row is None or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_resize(self) -> None:
        self.call_after_refresh(self._sideways_hint)

    def _sideways_hint(self) -> None:
        table = self.query_one("#env-table", DataTable)
        wider = table.virtual_size.width > table.scrollable_content_region.width
        table.border_subtitle = "→ more columns" if wider else ""

    def selected_name(self) -> str | None:
        row = self.selected_row()
        return row.env.name if row else None

    def select(self, name: str) -> None:
        names = [r.env.name for r in self.rows]
        if name in names:
            self.query_one("#env-table", DataTable).move_cursor(row=names.index(name))

    @on(DataTable.RowHighlighted, "#env-table")
    def _show_detail(self) -> None:

        row = self.selected_row()
        detail = self.query_one("#env-detail", Static)
        if row is None:
            detail.update("")
            return
        env = row.env
        pin = f"pinned {row.pin}" if row.pin else f"not pinned yet in {journal_of(row.env).name}"
        detail.update(f"{env.name}: {self.wizard.fmt.path(envs.describe_where(env))} · {pin}")

    def say(self, text: str, level: str = "info") -> None:
        result = self.query_one("#env-result", Static)
        result.update(redact(text))
        for name in ("ok", "error", "info", "warn"):
            result.set_class(level == name, f"env-result-{name}")

    # --- actions -----------------------------------------------------------------------
    def _idle(self) -> bool:
        if self.busy:
            self.app.notify(f"Still busy: {self.busy}.", severity="warning")
            return False
        if self.wizard.run_active:
            self.app.notify("A step is running: wait for it (or cancel it with Ctrl+K) first.", severity="warning")
            return False
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_add_profile(self) -> None:
        if self._idle():
            self.app.push_screen(AddProfileScreen(self.keyring_ok, self.wizard.banner_info or banner_for(self.wizard.env)),
                                 self._added)

    def _added(self, added: Any) -> None:
        if added is not None:
            self.say(_lines_text(added.lines), "ok")
            self._select_next = added.env.name
            self.refresh_view()

    def action_test_env(self) -> None:
        row = self.selected_row()
        if row is None or not self._idle():
            return
        if self.wizard.journal is None:
            self.app.notify("The journal is still opening; try again in a moment.", severity="warning")
            return
        self.busy = f"testing {row.env.name}"
        self.say(f"⏳ Connecting to {row.env.name}…")
        self.run_test(row.env)

    @work(thread=True, exclusive=True, group="env-test", exit_on_error=False, description="test an environment")
    async def run_test(self, env: Environment) -> None:

        try:
            envs.prepare_environment(env)  # a sandbox cluster is started (first use creates it)
            path, journal = self._journal_for(env)
            tested = await envs.check_environment(
                env, path, journal=journal, pin=False,
                asker=self._password_asker(env), say=lambda text: self.app.call_from_thread(self.app.notify, text))
        except WizardError as exc:
            self.app.call_from_thread(self._tested, None, exc)
        except Exception as exc:  # noqa: BLE001 - shown (redacted), never a traceback over the screen
            self.app.call_from_thread(self._tested, None, WizardError(f"Testing {env.name} failed: {type(exc).__name__}",
                                                                      "Try `migration-wizard env test` for details."))
        else:
            self.app.call_from_thread(self._tested, tested, None)

    def _journal_for(self, env: Environment) -> tuple[Path, Any]:
        """The journal `env`'s runs write, and the app's open Journal when it is that one."""
        path = journal_of(env)
        return path, (self.wizard.journal if path == self.wizard.journal_path else None)

    def _password_asker(self, env: Environment) -> Callable[[str], Any]:
        """The password asker, from the test's thread: a masked PasswordScreen on the UI."""

        async def ask(prompt: str) -> str | None:
            future: concurrent.futures.Future[Any] = concurrent.futures.Future()

            def show() -> None:
                self._pending = future
                self.app.push_screen(PasswordScreen(prompt, banner_for(env)),
                                     lambda value: future.done() or future.set_result(value))

            self.app.call_from_thread(show)
            try:
                return await asyncio.wrap_future(future)
            finally:
                self._pending = None

        return ask

    def _tested(self, tested: Any, problem: WizardError | None) -> None:
        self.busy = ""
        if not self.is_attached:
            return
        if problem is not None:
            self.say(_problem_text(problem), "error")
            return
        if tested.pin == "not pinned":  # pinning binds the profile to this server: the operator says so first
            fp = tested.fingerprint
            self.app.push_screen(
                ConfirmScreen(f"Pin {tested.env.name} to this server?",
                              f"{_lines_text(tested.lines())}\n\nFrom here on {tested.env.name} must reach "
                              f"{fp['system_identifier']}/{fp['database']}; a profile that later reaches another "
                              "server is refused before any SQL runs.", banner_for(tested.env),
                              yes="Pin it (y)", no="Not now (n)"),
                lambda yes: self._pin(tested) if yes else self._show_tested(tested))
            return
        self._show_tested(tested)

    def _pin(self, tested: Any) -> None:
        path, journal = self._journal_for(tested.env)
        try:
            tested = envs.pin_tested(tested, journal)
        except WizardError as exc:
            self.say(_problem_text(exc), "error")
            return
        self._show_tested(tested)

    def _show_tested(self, tested: Any) -> None:
        self.say(_lines_text(tested.lines()), "ok")
        self.refresh_view()

    def action_forget_env(self) -> None:
        row = self.selected_row()
        if row is None or not self._idle():
            return
        env = row.env
        self.app.push_screen(ForgetScreen(env, row.built_in, bool(row.pin), self.keyring_ok, banner_for(env)),
                             lambda choice: self._forget_chosen(env.name, choice))

    def _forget_chosen(self, name: str, choice: ForgetChoice | None) -> None:
        if choice is None:
            self.say(f"Nothing of {name} was forgotten.")
            return
        self.busy = f"forgetting {name}"
        self.run_forget(name, choice)

    @work(thread=True, exclusive=True, group="env-forget", exit_on_error=False, description="forget an environment")
    def run_forget(self, name: str, choice: ForgetChoice) -> None:

        lines: list[str] = []
        try:
            if name not in SANDBOX_ROLES:
                lines.append(envs.forget_secrets(name))
            if choice.unpin:
                lines.append(envs.unpin(name, *self._journal_for(resolve_environment(name))))
            if choice.remove_profile and name not in SANDBOX_ROLES:
                lines.append(envs.remove_profile(name))
        except WizardError as exc:
            lines.append(_problem_text(exc))
        self.app.call_from_thread(self._forgotten, lines)

    def _forgotten(self, lines: list[str]) -> None:
        self.busy = ""
        if self.is_attached:
            self.say("\n".join(lines) or "Nothing to do.", "error" if any(l.startswith("✗") for l in lines) else "ok")
            self.refresh_view()

    def on_unmount(self) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.set_result(None)  # a test waiting on a password gives up instead of hanging


class AddProfileScreen(WizardModal):
    """The add-profile form. Dismisses with wizard.session.environments.Added (saved) or None (closed)."""

    BINDINGS = [Binding("escape", "close", "Close", id="wizard.env_add_close", key_display="Esc")]

    def __init__(self, keyring_ok: bool, info: BannerInfo) -> None:
        super().__init__(classes="dialog-screen")
        self.keyring_ok, self.info = keyring_ok, info

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes=f"dialog env-form {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static("Add an environment profile", classes="dialog-title")
            yield Static("The profile keeps the connection settings only; a password and the API token go to the "
                         "OS keyring.", classes="dialog-message")
            with Horizontal(classes="form-row"):
                yield Label("Name", classes="form-label")
                yield Input(placeholder="staging", id="env-name", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Kind", classes="form-label")
                yield Select([(k, k) for k in ("staging", "production", "sandbox") if k in KINDS], value="staging",
                             allow_blank=False, id="env-kind", compact=True)
            with Horizontal(classes="form-row", id="role-row"):
                yield Label("Plays (sandbox)", classes="form-label")
                yield Select([(r, r) for r in ROLES], value="staging", allow_blank=False, id="env-role", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Connection", classes="form-label")
                yield Input(placeholder="postgresql://postgres@db.<ref>.supabase.co:5432/postgres  or  host=… dbname=…",
                            id="env-url", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Password", classes="form-label")
                yield Input(password=True, placeholder="optional: asked on first connection otherwise",
                            id="env-password", compact=True, disabled=not self.keyring_ok)
            with Horizontal(classes="form-row"):
                yield Label("API token", classes="form-label")
                yield Input(password=True, placeholder="optional: the JWT the application checks send",
                            id="env-token", compact=True, disabled=not self.keyring_ok)
            with Horizontal(classes="form-row"):
                yield Label("Workspace", classes="form-label")
                yield Input(placeholder="optional: the app's repo root, e.g. ~/src/app", id="env-workspace", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("", classes="form-label")
                yield Checkbox("Replace a profile of the same name", id="env-replace", compact=True)
            if not self.keyring_ok:
                yield Static("⚠ No OS keyring here: a password or token cannot be stored. Use PGPASSWORD or "
                             "~/.pgpass, and MIGRATION_WIZARD_API_TOKEN.", classes="env-warning")
            yield Static("", id="env-form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (Enter)", id="submit", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#env-name", Input).focus()
        self.query_one("#env-form-error", Static).display = False
        self._kind_changed()

    @on(Select.Changed, "#env-kind")
    def _kind_changed(self) -> None:
        self.query_one("#role-row").display = self.query_one("#env-kind", Select).value == "sandbox"

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        kind = str(self.query_one("#env-kind", Select).value)
        form = {
            "name": self.value("#env-name"), "kind": kind, "url": self.value("#env-url"),
            "role": str(self.query_one("#env-role", Select).value) if kind == "sandbox" else None,
            "workspace": self.value("#env-workspace") or None,
            "replace": self.query_one("#env-replace", Checkbox).value,
            "password": self.query_one("#env-password", Input).value or None,
            "token": self.query_one("#env-token", Input).value or None,
        }
        self.query_one("#submit", Button).disabled = True
        self.save(form)

    @work(thread=True, exclusive=True, group="env-add", exit_on_error=False, description="save a profile")
    def save(self, form: dict[str, Any]) -> None:
        from pathlib import Path


        try:
            if not form["name"]:
                raise WizardError("A profile needs a name.", "Lower-case letters, digits, - and _, e.g. staging.")
            if not form["url"]:
                raise WizardError("A profile needs a connection string.",
                                  "e.g. postgresql://postgres@db.<ref>.supabase.co:5432/postgres")
            workspace = form.pop("workspace")
            added = envs.add_profile(
                form.pop("name"), form.pop("kind"), form.pop("url"),
                workspace=str(Path(workspace).expanduser().resolve()) if workspace else None, **form)
        except WizardError as exc:
            self.app.call_from_thread(self._refused, exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback, never the typed values
            self.app.call_from_thread(self._refused, WizardError(f"Saving the profile failed: {type(exc).__name__}."))
        else:
            self.app.call_from_thread(self.dismiss, added)

    def _refused(self, exc: WizardError) -> None:
        error = self.query_one("#env-form-error", Static)
        error.update(_problem_text(exc))
        error.display = True
        self.query_one("#submit", Button).disabled = False

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        self.dismiss(None)


class ForgetScreen(WizardModal):
    """Forget an environment: repeats its name; removes its keyring secrets, and optionally the
    profile and the pin. Dismisses with a ForgetChoice, or None."""

    BINDINGS = [
        Binding("y", "forget", "Forget", id="wizard.env_forget_yes"),
        Binding("n,escape", "keep", "Keep", id="wizard.env_forget_no", key_display="n/Esc"),
    ]

    def __init__(self, env: Environment, built_in: bool, pinned: bool, keyring_ok: bool, info: BannerInfo) -> None:
        super().__init__(classes="dialog-screen")
        self.env, self.built_in, self.pinned, self.keyring_ok, self.info = env, built_in, pinned, keyring_ok, info

    def compose_body(self) -> ComposeResult:

        name = self.env.name
        if self.built_in:
            message = (f"{name} is built in: it has no secrets and no profile to forget. Unpinning it lets the next "
                       "connection pin the server it finds.")
        elif self.keyring_ok:
            message = (f"Removes {name}'s database password and API token from the OS keyring; the next connection "
                       "to it asks for the password again.")
        else:
            message = (f"No OS keyring here: nothing of {name}'s is stored by the wizard (PGPASSWORD, ~/.pgpass and "
                       "MIGRATION_WIZARD_API_TOKEN are yours to change).")
        with Vertical(id="dialog", classes=f"dialog {self.info.css_class}"):
            yield EnvChip(self.info)
            yield Static(f"Forget {name}?", classes="dialog-title", markup=False)
            yield Static(message, classes="dialog-message", markup=False)
            if not self.built_in:
                yield Checkbox(f"Also remove the profile {name} from {envs.profiles_location().name}", id="forget-profile")
            yield Checkbox(f"Also unpin {name} in this journal" + ("" if self.pinned else " (not pinned now)"),
                           id="forget-pin", disabled=not self.pinned)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Forget {name} (y)", id="yes", variant="error")
                yield Button("Keep it (n)", id="no", variant="default")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def _checked(self, selector: str) -> bool:
        found = self.query(selector)
        return bool(found) and found.first(Checkbox).value

    @on(Button.Pressed, "#yes")
    def action_forget(self) -> None:
        self.dismiss(ForgetChoice(remove_profile=self._checked("#forget-profile"), unpin=self._checked("#forget-pin")))

    @on(Button.Pressed, "#no")
    def action_keep(self) -> None:
        self.dismiss(None)
