"""A journal is verified before it is trusted: by every command that reads one, from both faces.

A journal whose chain or head sidecar does not hold is refused (exit 2) with what is broken and
how to go on, never repaired or restarted: an emptied or deleted journal whose sidecar says it
held events is refused too, so a pass on staging cannot vanish (or be made up) between sessions.
A torn last line (a crash mid-write) and a sidecar one event behind are crashes, not tampering.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

from wizard.errors import WizardError
from wizard.journal import Verification, head_path, read_head, verify


class JournalBroken(WizardError):
    """The journal's chain or head no longer holds: evidence to keep, not a file to append to."""


class NotAJournal(WizardError):
    """The path holds something else (a folder, a Markdown file)."""


def _next_steps(path: Path) -> str:
    return (f"Keep {path.name} as evidence (`migration-wizard journal verify {path}` lists what is wrong) and "
            f"start a new journal with --journal NEW.jsonl.")


def _sidecar_events(path: Path) -> int | None:
    """How many events the head sidecar says the journal held (None: no usable sidecar)."""
    head = read_head(path)
    if not head or not isinstance(head.get("seq"), int):
        return None
    return head["seq"] + 1


def _looks_like_a_journal(path: Path) -> bool:
    """The first line is one of the wizard's events (a torn first line still counts: a crash)."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(1 << 20)
    except OSError as exc:
        raise NotAJournal(f"Cannot read the journal {path}: {exc.strerror or exc}.",
                          "Check the path and its permissions.") from None
    if not first.endswith(b"\n"):
        return first.startswith(b"{")
    try:
        event = json.loads(first)
    except ValueError:
        return False
    return isinstance(event, dict) and {"seq", "hash", "prev", "type"} <= event.keys()


def check_shape(path: Path) -> bool:
    """Refuse what cannot be trusted before anything reads or appends to it; True when it holds events.

    A missing or empty file is a new journal, unless its head sidecar says events existed.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise NotAJournal(f"Cannot reach the journal {path}: {exc.strerror or exc}.",
                          "Check the path (--journal PATH) and its permissions.") from None
    if info is not None:
        refuse_non_journal(path, info)
    if info is None or info.st_size == 0:
        recorded = _sidecar_events(path)
        if recorded:
            state = "missing" if info is None else "empty (0 bytes)"
            raise JournalBroken(
                f"The journal {path} is {state}, but its head sidecar {head_path(path).name} records {recorded} events: "
                "it was emptied or deleted, and with it every pass, pin and answer it held.",
                f"Restore it from a backup, or keep {head_path(path).name} as evidence and start a new journal "
                "with --journal NEW.jsonl.")
        return False
    return True


def refuse_non_journal(path: Path, info: os.stat_result) -> None:
    """A folder, a device, a Markdown file: not a journal, whatever its name."""
    if not stat.S_ISREG(info.st_mode):
        raise NotAJournal(f"{path} is not a journal: it is {'a folder' if stat.S_ISDIR(info.st_mode) else 'not a regular file'}.",
                          "Give the path of a journal file (.jsonl), or a new path to start one.")
    # /proc and /sys files say 0 bytes and still hold text: look at what is there, not at the size.
    pseudo = Path(os.path.abspath(path)).parts[1:2] in (("proc",), ("sys",))
    if (info.st_size or pseudo) and not _looks_like_a_journal(path):
        raise NotAJournal(f"{path} is not a journal: its first line is not a migration-wizard event.",
                          "Give the path of a journal (.jsonl) the wizard wrote, e.g. the one `migration-wizard status` prints.")


def refuse_problems(path: Path, problems: list[Any]) -> None:
    if problems:
        first = min(problems, key=lambda p: p.line)
        more = f" ({len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise JournalBroken(f"The journal {path} is broken at line {first.line}: {first.what}{more}. "
                            "Its history cannot be trusted.", _next_steps(path))


def check_journal(path: Path) -> Verification | None:
    """The whole chain and the head sidecar (None: a new journal). Raises when it cannot be trusted."""
    path = Path(path)
    if not check_shape(path):
        return None
    result = verify(path, fast=True)
    refuse_problems(path, result.problems)
    return result


class HistoryGuard:
    """Engine guard: before a production write, the history the gate reads is verified again.

    The journal was verified when the session opened it, but a wizard stays open for hours: the
    whole chain is checked again before each production write unless the file is byte-for-byte
    where the last check left it (same size and mtime). A production write is rare and the check
    takes seconds on the largest journals, so no edit made meanwhile can let an unrehearsed file
    through the gate.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.checked: tuple[int, int] | None = None

    def _stamp(self) -> tuple[int, int]:
        info = os.stat(self.path)
        return info.st_size, info.st_mtime_ns

    async def __call__(self, step: Any, engine: Any) -> None:
        from wizard.guards import is_production_write

        if engine.env.role != "production" or not is_production_write(step):
            return
        if self.checked is not None and self._stamp() == self.checked:
            return
        await asyncio.to_thread(check_journal, self.path)  # seconds on a large journal: off the loop
        self.checked = self._stamp()
