"""A line index of a journal file, for reading large journals without loading them.

One buffered pass records the byte offset where each line starts (8 bytes a line, kept in memory:
800 KB for 100,000 events). A line is then read and parsed only when something asks for it, as
log viewers do, so the review screen can show any part of a huge journal at once. The index can
be extended when the file grows (a wizard still writing to it) without reading it again.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from collections import OrderedDict
from itertools import accumulate
from pathlib import Path
from typing import Any, Iterator

CHUNK = 4 << 20  # 4 MiB reads
READLINES_BUFFER = 1 << 20  # refresh_lines: readlines is fastest with a buffer of about 1 MiB

# SQL events are nearly half of a journal's bytes and step results' data most of the rest; a view
# of states and timings needs neither. The canonical line has sorted keys and no spaces, and a
# quote inside a string is escaped, so a key read off the bytes below cannot be matched inside a
# value: an SQL event's `env`, `seq` and `step` precede its long `text` and `ts` follows it; a
# step_finished event's `result` is followed by scalar keys only (`role` … `v`), and the result's
# own keys after its `data` (`duration_s` … `step_id`) are scalars too.
_SQL_TYPE = b',"type":"sql","v":'
_SQL_HEAD = re.compile(rb'^\{"env":"([^"\\]*)",.*?,"seq":(\d+),.*?,"step":"([^"\\]*)","text":"')
_TS = re.compile(rb',"ts":"([^"\\]*)","type":"sql","v":')
_FINISHED_TYPE = b',"type":"step_finished","v":'
_ENV = re.compile(rb'^\{"env":("(?:[^"\\]*)")')
_TAIL = 48  # bytes at the end of a line that hold `,"type":"step_finished","v":1}`


def _sql_head(line: bytes, index: int) -> dict[str, Any] | None:
    try:  # msgspec skips the text without making a string of it
        head = _decoders()[1](line)
    except ValueError:
        return _sql_head_re(line, index)
    if head.seq < 0 or not head.ts or head.type != "sql":
        return _sql_head_re(line, index) if head.type == "sql" else None
    return {"type": "sql", "env": head.env, "seq": head.seq, "step": head.step, "ts": head.ts, "line": index}


def _sql_head_re(line: bytes, index: int) -> dict[str, Any] | None:
    head = _SQL_HEAD.match(line)
    ts = _TS.search(line, len(line) - 200 if len(line) > 200 else 0)
    if head is None or ts is None:
        return None
    return {"type": "sql", "env": head.group(1).decode(), "seq": int(head.group(2)), "step": head.group(3).decode(),
            "ts": ts.group(1).decode(), "line": index}


def _finished_head(line: bytes, index: int) -> dict[str, Any] | None:
    """A step_finished event without its result's data, checks and advice: {"result": summary, "line"}.
    A migration's comes whole (None: the fold reads its data)."""
    role = line.rfind(b',"role":')
    duration = line.rfind(b',"duration_s":', 0, role)
    if role < 0 or duration < 0 or line.find(b'"kind":"migration"', duration, role) >= 0:
        return None
    try:  # msgspec skips the data, checks and advice without making objects of them
        head = _decoders()[2](line)
    except ValueError:
        return None
    if head.type != "step_finished" or head.result is UNSET:
        return None
    event = _TO_BUILTINS(head)  # a dict of the fields the line has (msgspec leaves the unset ones out)
    event["line"] = index
    return event


def parse_line(line: bytes, index: int, *, lazy: bool = False) -> dict[str, Any] | None:
    """One journal line as an event (None when it is not one). lazy: an SQL event comes without its
    text ({"type": "sql", "env", "step", "seq", "ts", "line"}) and a step_finished event without its
    result's data, checks and advice ("line" says where to read them: JournalIndex.event)."""
    if lazy:
        head = None
        tail = len(line) - _TAIL  # an event's type is its last key but "v": looked for in the line's tail only
        if line.find(_SQL_TYPE, tail) >= 0:
            head = _sql_head(line, index)
        elif line.find(_FINISHED_TYPE, tail) >= 0:
            head = _finished_head(line, index)
        if head is not None:
            return head
    try:
        event = _decode(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


_DECODERS: tuple[Any, Any, Any] | None = None
UNSET: Any = None
_TO_BUILTINS: Any = None
# A step_finished event's keys the lazy head keeps (the fold's), and its result's but data, checks, advice.
_FINISHED_FIELDS = ("env", "role", "run", "save_as", "seq", "session", "step", "task", "ts", "type", "v")
_SUMMARY_FIELDS = ("duration_s", "environment", "error", "kind", "started_at", "status", "step_id")


def _decoders() -> tuple[Any, Any, Any]:
    """msgspec's JSON decoders (imported on first use: the first frame does not need them): any
    value, the head of an SQL event (its text skipped), the head of a step_finished event (its
    result's data, checks and advice skipped). The heads read top-level keys, whatever the values hold."""
    global _DECODERS, UNSET, _TO_BUILTINS
    if _DECODERS is None:
        import msgspec

        UNSET, _TO_BUILTINS = msgspec.UNSET, msgspec.to_builtins

        class SqlHead(msgspec.Struct):
            env: str = ""
            seq: int = -1
            step: str = ""
            ts: str = ""
            type: str = ""

        summary = msgspec.defstruct("ResultSummary", [(name, Any, msgspec.UNSET) for name in _SUMMARY_FIELDS])
        finished = msgspec.defstruct("FinishedHead", [(name, Any, msgspec.UNSET) for name in _FINISHED_FIELDS]
                                     + [("result", summary, msgspec.UNSET)])
        _DECODERS = (msgspec.json.Decoder().decode, msgspec.json.Decoder(SqlHead).decode,
                     msgspec.json.Decoder(finished).decode)
    return _DECODERS


_HEAD_DECODER: Any = None
# The keys of a journal line the fold reads off its head (Fold.feed_lines): an SQL event's, a
# step_started's and a step_finished's (with its result's summary), each absent one UNSET.
HEAD_FIELDS = ("env", "role", "run", "save_as", "seq", "step", "task", "title", "ts", "type", "kind")


def head_decoder() -> Any:
    """msgspec's decoder of a journal line into its head (a struct of HEAD_FIELDS and `result`, a
    struct of the result's summary fields): the SQL text, the result's data, checks and advice and
    every other key are skipped, and no dict is made. Raises ValueError when the line is not a JSON
    object (or its result not one)."""
    global _HEAD_DECODER
    if _HEAD_DECODER is None:
        import msgspec

        _decoders()
        summary = msgspec.defstruct("HeadSummary", [(name, Any, msgspec.UNSET) for name in _SUMMARY_FIELDS], gc=False)
        head = msgspec.defstruct("Head", [(name, Any, msgspec.UNSET) for name in HEAD_FIELDS]
                                 + [("result", summary, msgspec.UNSET)], gc=False)
        _HEAD_DECODER = msgspec.json.Decoder(head).decode
    return _HEAD_DECODER


def _decode(line: bytes) -> Any:
    """json.loads of a journal line, by msgspec (several times faster); whatever msgspec refuses
    (NaN, huge integers, bad UTF-8…) goes to json, which decides."""
    try:
        return _decoders()[0](line)
    except ValueError:
        return json.loads(line)


class JournalIndex:
    def __init__(self, path: Path, *, cache_size: int = 2048, build: bool = True) -> None:
        """build=False: nothing is read until refresh() (which another thread may call: the
        index then grows from empty, and every line it already counts reads correctly)."""
        self.path = Path(path)
        self.offsets = array("Q")  # start of each complete line
        self.end = 0  # offset just past the last complete line
        self.torn = b""  # bytes after the last newline (a line being written, or torn by a crash)
        self._cache: OrderedDict[int, dict[str, Any] | None] = OrderedDict()
        self._cache_size = cache_size
        self._fh = None
        if build:
            self.refresh()

    # --- building -------------------------------------------------------------------------------
    def refresh(self) -> int:
        """Index what was appended since the last pass; returns how many new lines were found."""
        before = len(self.offsets)
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0
        if size < self.end:  # the file shrank: it was rewritten or cut; start again
            self.offsets = array("Q")
            self.end = 0
            self._cache.clear()
            before = 0
        found = array("Q")  # added to self.offsets at the end, before self.end moves: a reader never sees half
        with self.path.open("rb") as fh:
            fh.seek(self.end)
            position = self.end
            pending = position  # start of the line being scanned
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                find = chunk.find
                start = 0
                while True:
                    newline = find(b"\n", start)
                    if newline < 0:
                        break
                    found.append(pending)
                    pending = position + newline + 1
                    start = newline + 1
                position += len(chunk)
            self.offsets.extend(found)
            self.end = pending
            fh.seek(pending)
            self.torn = fh.read(size - pending) if size > pending else b""
        return len(self.offsets) - before

    def refresh_lines(self, *, keepends: bool = False) -> list[bytes]:
        """refresh(), and the bytes of every complete line (without its newline), from one read of
        the file: for a reader of every line (the review's fold), which would otherwise read it twice.
        keepends: each line keeps its newline (JSON ignores it), so no line is copied to drop it."""
        if self.offsets:  # already indexed: index what was appended, then read the lines
            self.refresh()
            lines = [line for _, line in self.lines()]
            return [line + b"\n" for line in lines] if keepends else lines
        try:
            # readlines straight from the file (big buffer): no copy of the whole file held beside the lines
            with self.path.open("rb", buffering=READLINES_BUFFER) as fh:
                lines = fh.readlines()
        except FileNotFoundError:
            return []
        torn = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""  # after the last newline
        # Each line starts where the one before it (with its newline) ends.
        starts = array("Q", accumulate(map(len, lines), initial=0))
        self.offsets.extend(starts[:-1])  # before self.end moves: a reader never sees half
        self.end = starts[-1]
        self.torn = torn
        return lines if keepends else [line[:-1] for line in lines]

    # --- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.offsets)

    def _handle(self):  # noqa: ANN202
        if self._fh is None:
            self._fh = self.path.open("rb")
        return self._fh

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def line(self, index: int) -> bytes:
        """The bytes of line `index` (0-based), without its newline."""
        start = self.offsets[index]
        stop = self.offsets[index + 1] if index + 1 < len(self.offsets) else self.end
        fd = self._handle().fileno()
        return os.pread(fd, stop - start, start).rstrip(b"\n")

    def event(self, index: int) -> dict[str, Any] | None:
        """Line `index` parsed (None when it is not a JSON object); recently read lines are cached."""
        cache = self._cache
        if index in cache:
            cache.move_to_end(index)
            return cache[index]
        try:
            value = _decode(self.line(index))
            event = value if isinstance(value, dict) else None
        except ValueError:
            event = None
        cache[index] = event
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return event

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(index, bytes) of every complete line, from one buffered read."""
        with self.path.open("rb") as fh:
            raw = fh.read(self.end)
        offsets, count = self.offsets, len(self.offsets)
        for i in range(count):
            stop = offsets[i + 1] - 1 if i + 1 < count else self.end - 1
            yield i, raw[offsets[i]:stop]

    def __enter__(self) -> "JournalIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
