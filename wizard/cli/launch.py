"""Opening the TUI from the command line: the one place under wizard/ that imports `screens`.

Imported lazily (inside the functions) so that headless commands never load Textual.
"""

from __future__ import annotations

from pathlib import Path


def tui_available() -> bool:
    try:
        import screens.app  # noqa: F401
    except ImportError:
        return False
    return True


def open_tui(env_name: str, journal: Path | None = None, rehearsal: bool = False, runbook: Path | None = None) -> int:
    from screens.app import run_app

    return run_app(env_name=env_name, journal=journal, rehearsal=rehearsal, runbook=runbook)


def open_review(path: Path) -> int:
    from screens.review import run_review

    return run_review(path)
