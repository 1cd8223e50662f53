"""A thread-safe ring buffer of output lines with absolute positions, so a reader can follow it."""

from __future__ import annotations

import threading
from collections import deque


class LogBuffer:
    def __init__(self, maxlen: int = 20000) -> None:
        self._lines: deque[str] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.total = 0  # lines ever appended; the next line's absolute position
        self.first: list[str] = []  # the first lines, kept even after the ring wraps
        self.closed = False

    def append(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            self.total += 1
            if len(self.first) < 50:
                self.first.append(line)

    def since(self, position: int) -> tuple[list[str], int, int]:
        """(lines from `position` on, the new position, how many were lost to the ring wrapping)."""
        with self._lock:
            oldest = self.total - len(self._lines)
            start = max(position, oldest)
            lost = start - position if position < oldest else 0
            lines = list(self._lines)[start - oldest:] if start < self.total else []
            return lines, self.total, lost

    def oldest_position(self) -> int:
        with self._lock:
            return self.total - len(self._lines)

    def tail(self, count: int) -> list[str]:
        with self._lock:
            return list(self._lines)[-count:] if count > 0 else []
