"""Every server the wizard's journals have pinned, whichever journal holds the pin.

A server pinned by a production environment is production for every profile: a staging profile
whose URL was copied from production's must be refused even though its own journal never saw that
server. The pins are read from the journals themselves (the one source of truth, including journals
written before this check existed), scanning only the few lines that can hold a pin: no chain check,
no replay, so it costs a read of the files and nothing more.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from wizard import paths

# As the store writes them (compact, sorted keys): a line that can only matter holds one of these.
_MARKS = (b'"type":"env_connected"', b'"type":"env_pinned"', b'"type":"env_unpinned"')


@dataclass(frozen=True)
class RecordedPin:
    env: str
    kind: str  # the environment's kind and role when it was pinned ("" when the journal did not say)
    role: str
    fingerprint: dict[str, Any]
    journal: Path

    @property
    def production(self) -> bool:
        return "production" in (self.kind, self.role)


def pins_of_events(events: Iterable[dict[str, Any]], journal: Path) -> dict[str, RecordedPin]:
    """The pins standing at the end of `events`, with the kind and role each environment had."""
    described: dict[str, dict[str, Any]] = {}
    pins: dict[str, RecordedPin] = {}
    for event in events:
        kind, env = event.get("type"), str(event.get("env", ""))
        if kind == "env_connected":
            described[env] = event.get("environment") or {}
        elif kind == "env_pinned":
            about = described.get(env, {})
            pins[env] = RecordedPin(env, str(event.get("kind") or about.get("kind") or ""),
                                    str(event.get("role") or about.get("role") or ""),
                                    dict(event.get("fingerprint") or {}), journal)
        elif kind == "env_unpinned":
            pins.pop(env, None)
    return pins


def _pin_events(path: Path) -> list[dict[str, Any]]:
    """The lines of `path` holding an environment event, found with bytes.find (no per-line loop)."""
    try:
        data = path.read_bytes()
    except OSError:
        return []
    starts: set[int] = set()
    for mark in _MARKS:
        at = data.find(mark)
        while at >= 0:
            starts.add(data.rfind(b"\n", 0, at) + 1)
            at = data.find(mark, at + len(mark))
    events = []
    for start in sorted(starts):  # journal order: a pin, then its unpin
        end = data.find(b"\n", start)
        try:
            events.append(json.loads(data[start:end if end >= 0 else len(data)]))
        except ValueError:  # a torn last line: the journal's own reader reports it
            continue
    return events


def known_pins(journal: Path, events: list[dict[str, Any]] | None = None) -> list[RecordedPin]:
    """The pins of `journal` (from `events` when it is open in this process) and of every journal
    in the wizard's journals folder and beside `journal`."""
    own = Path(os.path.realpath(journal))
    found = list(pins_of_events(events, journal).values()) if events is not None else []
    done = {own} if events is not None else set()
    for folder in dict.fromkeys((paths.journals_dir(), journal.parent)):
        for path in sorted(folder.glob("*.jsonl")):
            real = Path(os.path.realpath(path))
            if real not in done:
                done.add(real)
                found += pins_of_events(_pin_events(path), path).values()
    return found
