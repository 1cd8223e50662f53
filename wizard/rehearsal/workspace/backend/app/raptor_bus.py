"""RaptorBus: the in-process event bus the backend publishes domain events on.

Topics are dotted names ("move.created"); a subscription may use "*" for one segment and "#"
for any number of trailing segments. Handlers run in subscription order; one failing handler
never stops the others, and its error is kept for the caller.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

Handler = Callable[["Event"], Any]


@dataclass(frozen=True)
class Event:
    topic: str
    payload: dict[str, Any]
    sequence: int


@dataclass
class Delivery:
    event: Event
    delivered: int = 0
    errors: list[tuple[str, Exception]] = field(default_factory=list)


def topic_matches(pattern: str, topic: str) -> bool:
    want, have = pattern.split("."), topic.split(".")
    for index, part in enumerate(want):
        if part == "#":
            return True
        if index >= len(have) or (part != "*" and part != have[index]):
            return False
    return len(want) == len(have)


class RaptorBus:
    def __init__(self) -> None:
        self._subscriptions: dict[int, tuple[str, Handler, str]] = {}
        self._ids = itertools.count(1)
        self._sequence = itertools.count(1)
        self.history: list[Event] = []
        self.history_limit = 1000

    def subscribe(self, pattern: str, handler: Handler, *, name: str | None = None) -> int:
        if not pattern or any(not part for part in pattern.split(".")):
            raise ValueError(f"invalid topic pattern {pattern!r}")
        if "#" in pattern.split(".")[:-1]:
            raise ValueError("'#' may only end a pattern")
        sub_id = next(self._ids)
        self._subscriptions[sub_id] = (pattern, handler, name or getattr(handler, "__name__", "handler"))
        return sub_id

    def unsubscribe(self, sub_id: int) -> bool:
        return self._subscriptions.pop(sub_id, None) is not None

    def subscribers(self, topic: str) -> list[str]:
        return [name for pattern, _, name in self._subscriptions.values() if topic_matches(pattern, topic)]

    def publish(self, topic: str, payload: dict[str, Any] | None = None) -> Delivery:
        if not topic or "*" in topic or "#" in topic:
            raise ValueError(f"cannot publish to {topic!r}: topics are concrete names")
        event = Event(topic, dict(payload or {}), next(self._sequence))
        self.history.append(event)
        del self.history[: max(0, len(self.history) - self.history_limit)]
        delivery = Delivery(event)
        for pattern, handler, name in list(self._subscriptions.values()):
            if not topic_matches(pattern, topic):
                continue
            try:
                handler(event)
                delivery.delivered += 1
            except Exception as exc:  # noqa: BLE001 - isolate one bad handler from the rest
                delivery.errors.append((name, exc))
        return delivery

    def replay(self, pattern: str, handler: Handler) -> int:
        count = 0
        for event in list(self.history):
            if topic_matches(pattern, event.topic):
                handler(event)
                count += 1
        return count
