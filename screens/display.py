"""How values are written on screen: durations, sizes, paths, times.

One object, injected into the app, so tests can make every screen deterministic (no tmp paths,
no wall-clock durations) without the screens knowing they are under test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class Display:
    stable: bool = False  # True in snapshot tests: durations and times are masked
    path_labels: dict[str, str] = field(default_factory=dict)  # prefix -> label, longest first

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        if self.stable:
            return "n s"
        if seconds < 0.01:
            return "<0.01 s"
        if seconds < 60:
            return f"{seconds:.2f} s"
        minutes, secs = divmod(int(seconds), 60)
        if minutes >= 10:  # seconds no longer matter, and the overview's column stays 10 wide
            return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
        return f"{minutes} min {secs:02d} s"

    def size(self, n: float | None) -> str:
        """Bytes on disk: masked in snapshots (a table's files may grow a page after a vacuum)."""
        if not isinstance(n, (int, float)):
            return ""
        if self.stable:
            return "n kB"
        for unit in ("B", "kB", "MB", "GB", "TB"):
            if n < 1024 or unit == "TB":
                return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
            n /= 1024
        return ""

    def estimate(self, minutes: int) -> str:
        if minutes >= 60 and minutes % 60 == 0:
            return f"{minutes // 60} h"
        if minutes >= 60:
            return f"{minutes // 60} h {minutes % 60} min"
        return f"{minutes} min"

    def when(self, iso: str | None) -> str:
        if not iso:
            return ""
        if self.stable:
            return "<time>"
        return iso[:19].replace("T", " ") + " UTC"

    def path(self, text: str) -> str:
        """Shorten known folders in any text (paths inside previews, errors, notes)."""
        if not text:
            return text
        for prefix in sorted(self.path_labels, key=len, reverse=True):
            if prefix:
                text = text.replace(prefix, self.path_labels[prefix])
        home = os.path.expanduser("~")
        if not self.stable and home not in ("/", "") and home in text:
            text = text.replace(home + "/", "~/")
        return text
