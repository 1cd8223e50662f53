"""The hash chain's fast check on the bytes of an intact journal, with the standard library only.

Kept apart from the rest of the journal package (no wizard import) so it can run in a second
process, started as a script (`python -I -S chain.py PATH END`): the offline review checks the
chain there, on the other core, while it folds the journal in its own process.

The line is the canonical form of its event (sorted keys, no spaces, a quote inside a string is
escaped), so `hash`, `prev` and `seq` are read off its bytes, and removing the `"hash":"…"` member
gives the canonical body that was hashed when it was written. Anything unusual stops the fast
check (`held` False); then the full read names the problem.

scan_file checks a block of lines at once (`_block_holds`): finds, slices and hashes mapped over
the lines and compared joined, so the interpreter takes no step per line; a block where anything
is unusual is checked again line by line (ChainScan), which decides.
"""

from __future__ import annotations

import json
import sys
from hashlib import sha256
from itertools import compress, repeat
from operator import add, getitem

GENESIS = "0" * 64
_HASH, _PREV, _SEQ = b'"hash":"', b'"prev":"', b'"seq":'
_FLAGGED = b'"type":"journal_problem_found"'
BLOCK = 8 << 20  # bytes read and checked at once


def line_hash(line: bytes) -> str:
    return sha256(line.rstrip(b"\n")).hexdigest()


def _after(line: bytes, key: bytes) -> int:
    """Where the value of `key` starts, when the key occurs exactly once in the line (else -1)."""
    at = line.find(key)
    if at < 0 or line.find(key, at + len(key)) >= 0:
        return -1
    return at + len(key)


def body_hash_holds(line: bytes, value_at: int, digest: str) -> bool:
    """The line without its hash member (whose 64-hex value starts at `value_at`) hashes to `digest`."""
    at, end = value_at - 8, value_at + 65  # `"hash":"` … `"`
    view = memoryview(line)
    h = sha256()
    if line[end:end + 1] == b",":
        h.update(view[:at])
        h.update(view[end + 1:])
    elif at > 0 and line[at - 1:at] == b",":
        h.update(view[:at - 1])
        h.update(view[end:])
    else:
        return False
    return h.hexdigest() == digest


def hash_holds(line: bytes, digest: object) -> bool:
    """Fast check: the line without its `"hash":"…"` member hashes to `digest` (the hash must occur once)."""
    if not isinstance(digest, str) or len(digest) != 64:
        return False
    needle = _HASH + digest.encode() + b'"'
    at = line.find(needle)
    if at <= 0 or line.find(needle, at + 1) >= 0:
        return False
    return body_hash_holds(line, at + 8, digest)


def fields(line: bytes) -> tuple[str, str, int, int] | None:
    """hash, prev, seq and where the hash's value starts (-1: read by JSON, key not unique)."""
    h, p, q = _after(line, _HASH), _after(line, _PREV), _after(line, _SEQ)
    if h >= 0 and p >= 0 and q >= 0 and line[h + 64:h + 65] == b'"' and line[p + 64:p + 65] == b'"':
        end = q
        while 48 <= line[end] <= 57 if end < len(line) else False:
            end += 1
        if end > q:
            return line[h:h + 64].decode("ascii", "replace"), line[p:p + 64].decode("ascii", "replace"), int(line[q:end]), h
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
        return None
    return str(event.get("hash")), str(event.get("prev")), event["seq"], -1


class ChainScan:
    """Fed the complete lines in order: each line's bytes hash to its hash, link to the line before
    and carry the next seq. `flagged`: the lines (0-based) holding a journal_problem_found event."""

    def __init__(self) -> None:
        self.prev = GENESIS
        self.count = 0
        self.held = True
        self.flagged: list[int] = []

    def feed(self, line: bytes) -> None:
        if not self.held:
            return
        found = fields(line)
        if found is None or found[2] != self.count or found[1] != self.prev:
            self.held = False
            return
        digest, _, _, at = found
        if not (body_hash_holds(line, at, digest) if at >= 0 else hash_holds(line, digest)):
            self.held = False
            return
        if _FLAGGED in line:
            self.flagged.append(self.count)
        self.prev = sha256(line).hexdigest()
        self.count += 1


def _cut(lines: list[bytes], starts: list[int], stops: list[int]) -> list[bytes]:
    """line[start:stop] of each line."""
    return list(map(getitem, lines, map(slice, starts, stops)))


def _shift(positions: list[int], by: int) -> list[int]:
    return list(map(add, positions, repeat(by, len(positions))))


def _block_holds(lines: list[bytes], prev: str, first: int) -> tuple[str, list[int]] | None:
    """Complete lines checked at once, as ChainScan checks each: the line without its hash member
    hashes to the member's value, each line's `prev` is the hash of the line before (`prev` before
    the first), and line i holds seq `first + i`, its only `"seq":` key. Returns the last line's
    hash and the lines holding a journal_problem_found event, or None when anything differs (then
    the block is read line by line).

    `hash` and `prev` are their first occurrence in the line (keys are sorted: `prev` after
    `hash`), which is not checked to be the only one: a nested key found first would have to carry
    the SHA-256 of bytes around it to pass, something only a forger who rewrites the chain from
    there on makes, and against that no unkeyed chain helps. The full read names what it finds."""
    n = len(lines)
    if list(map(bytes.count, lines, repeat(_SEQ, n))) != [1] * n:  # line i is event seq i: by_seq reads on it
        return None
    h = list(map(bytes.find, lines, repeat(_HASH, n)))
    p = list(map(bytes.find, lines, repeat(_PREV, n), h))
    q = list(map(bytes.find, lines, repeat(_SEQ, n), p))
    if -1 in h or -1 in p or -1 in q:
        return None
    # Without its `"hash":"…",` member (never the line's last: prev, seq, type follow) a line hashes to the value.
    members = _cut(lines, h, _shift(h, len(_HASH) + 66))
    bodies = list(map(bytes.replace, lines, members, repeat(b"", n), repeat(1, n)))
    if ('",'.join([sha256(body).hexdigest() for body in bodies]) + '",').encode() != b"".join(members).replace(_HASH, b""):
        return None
    hashes = [sha256(line).hexdigest() for line in lines]
    start = _shift(p, len(_PREV))
    if ('"'.join([prev] + hashes[:-1]) + '"').encode() != b"".join(_cut(lines, start, _shift(start, 65))):
        return None
    seqs = list(map(str, range(first, first + n)))
    start = _shift(q, len(_SEQ))
    if (",".join(seqs) + ",").encode() != b"".join(_cut(lines, start, _shift(list(map(add, start, map(len, seqs))), 1))):
        return None
    return hashes[-1], [first + i for i in compress(range(n), map(bytes.__contains__, lines, repeat(_FLAGGED, n)))]


def scan_file(path: str, end: int) -> ChainScan:
    """ChainScan over the complete lines of the file's first `end` bytes, a block of lines at a time."""
    scan = ChainScan()
    with open(path, "rb") as fh:
        rest, left = b"", end
        while left > 0:
            data = rest + fh.read(min(BLOCK, left))
            if len(data) == len(rest):
                break
            left -= len(data) - len(rest)
            lines = data.split(b"\n")
            rest = lines.pop()  # after the last newline: the start of the next block's first line
            if not lines:
                continue
            checked = _block_holds(lines, scan.prev, scan.count)
            if checked is not None:
                scan.prev = checked[0]
                scan.flagged += checked[1]
                scan.count += len(lines)
                continue
            for line in lines:  # something is unusual: the line-by-line check decides
                scan.feed(line)
                if not scan.held:
                    return scan
    return scan


def main(argv: list[str]) -> int:
    scan = scan_file(argv[1], int(argv[2]))
    sys.stdout.write(json.dumps({"held": scan.held, "count": scan.count, "flagged": scan.flagged}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
