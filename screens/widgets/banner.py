"""The connection banner: which database this screen acts on, docked on top of every screen.

It renders `wizard.banner.BannerInfo` and nothing else. The colour comes from a CSS class per
environment kind (env-sandbox, env-staging, env-production, env-offline in wizard.tcss); the
text itself names the kind, so NO_COLOR and monochrome terminals lose nothing.
"""

from __future__ import annotations

from textual.widgets import Static

from wizard.banner import BannerInfo

KIND_CLASSES = ("env-sandbox", "env-sandbox-production", "env-staging", "env-production", "env-offline")


class Banner(Static):
    """Follows the app's `banner_info`; every screen and dialog composes one."""

    DEFAULT_CSS = """
    Banner { dock: top; width: 100%; height: auto; padding: 0 1; text-style: bold; }
    """

    def __init__(self, info: BannerInfo | None = None, *, follow_app: bool = True, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._info = info
        self._follow_app = follow_app

    def on_mount(self) -> None:
        if self._follow_app and hasattr(self.app, "banner_info"):
            self.watch(self.app, "banner_info", self.show_info, init=True)
        elif self._info is not None:
            self.show_info(self._info)

    @property
    def info(self) -> BannerInfo | None:
        return self._info

    def show_info(self, info: BannerInfo | None) -> None:
        if info is None:
            return
        self._info = info
        for css in KIND_CLASSES:
            self.set_class(css == info.css_class, css)
        fmt = getattr(self.app, "fmt", None)  # the app's Display shortens known folders (a sandbox's socket)
        self.update(fmt.path(info.text()) if fmt is not None else info.text())
