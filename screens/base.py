"""What every screen has: the connection banner on top, the footer, and a clear message instead
of a broken layout when the terminal is smaller than the layout needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from screens.widgets.banner import Banner

if TYPE_CHECKING:
    from screens.app import WizardApp

MIN_WIDTH, MIN_HEIGHT = 80, 24


class TooSmall(Static):
    """Shown (by CSS breakpoint classes) only when the terminal is below MIN_WIDTH x MIN_HEIGHT."""

    def render(self) -> str:
        width, height = self.app.size
        return (f"This terminal is {width}x{height}.\n\nmigration-wizard needs at least {MIN_WIDTH}x{MIN_HEIGHT} "
                "to show the week, the steps and their results.\n\nEnlarge the window (or reduce the font size); "
                "nothing has stopped: a running step keeps running, and Ctrl+K still cancels it.")


class _Framed:
    """The banner on top (the environment is named on every screen and dialog), the too-small
    message, then the screen's own body."""

    @property
    def wizard(self) -> "WizardApp":
        return self.app  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        yield Banner()
        yield TooSmall(classes="too-small")
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()


class WizardScreen(_Framed, Screen[Any]):
    """A full screen: banner, body, footer."""

    def compose(self) -> ComposeResult:
        yield from super().compose()
        # Compact, without the palette's own entry (F1 and Ctrl+P list every key): the keys that
        # matter fit at 80 columns.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.watch(self.app, "state_version", self._state_changed, init=False)

    def _state_changed(self, _: int) -> None:
        if self.is_attached and not self._closing and self.app.is_running:
            self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw from the app's replayed Fold; called on every journal change."""


class WizardModal(_Framed, ModalScreen[Any]):
    """A dialog: the banner stays on top, so the environment is named while deciding."""
