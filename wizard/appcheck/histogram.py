"""Latency histograms: bucket a run's latencies on a 1-2-5 scale and draw them as terminal text.

`buckets()` gives plain data ({"upper_ms", "count"} rows, JSON-friendly, kept in the journal);
`render()` turns that data into lines of bars for the headless CLI, and the TUI can show the same.
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Iterable, Sequence

BLOCKS = " ▏▎▍▌▋▊▉█"


SCALES = ((1, 10), (1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8))


def _bounds_on(scale: tuple[float, ...], low: float, high: float) -> list[float]:
    exponent = math.floor(math.log10(low))
    bounds: list[float] = []
    while not bounds or bounds[-1] < high:
        for step in scale:
            bound = float(f"{step * 10.0 ** exponent:.6g}")
            if bound >= low and (not bounds or bound > bounds[-1]):
                bounds.append(bound)
                if bound >= high:
                    break
        exponent += 1
    return bounds


def nice_bounds(low: float, high: float, max_buckets: int = 14) -> list[float]:
    """Upper bounds on a 1-2-5 style scale from the first bound >= `low` to the first >= `high`,
    using the finest scale that stays within `max_buckets`."""
    low = max(low, 0.001)
    high = max(high, low)
    best = _bounds_on(SCALES[0], low, high)
    for scale in SCALES[1:]:
        candidate = _bounds_on(scale, low, high)
        if len(candidate) > max_buckets:
            break
        best = candidate
    return best


def buckets(latencies_ms: Iterable[float], max_buckets: int = 14) -> list[dict[str, Any]]:
    values = sorted(latencies_ms)
    if not values:
        return []
    bounds = nice_bounds(values[0], values[-1], max_buckets)
    counts = [0] * len(bounds)
    for value in values:
        counts[min(bisect.bisect_left(bounds, value), len(bounds) - 1)] += 1
    return [{"upper_ms": bound, "count": count} for bound, count in zip(bounds, counts)]


def _bar(fraction: float, width: int) -> str:
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (BLOCKS[rest] if rest else "")


def _label(bound: float) -> str:
    if bound >= 1000:
        return f"{bound / 1000:g} s"
    return f"{bound:g} ms"


def render(rows: Sequence[dict[str, Any]], width: int = 40, indent: str = "") -> str:
    """Lines like `  ≤ 20 ms │████████▌            412  41.2%`; empty string for no data."""
    if not rows:
        return ""
    total = sum(r["count"] for r in rows) or 1
    peak = max(r["count"] for r in rows) or 1
    labels = [_label(r["upper_ms"]) for r in rows]
    label_width = max(len(label) for label in labels)
    count_width = max(len(str(r["count"])) for r in rows)
    lines = []
    for label, row in zip(labels, rows):
        bar = _bar(row["count"] / peak, width)
        lines.append(f"{indent}≤ {label:>{label_width}} │{bar:<{width}} {row['count']:>{count_width}} "
                     f"{100 * row['count'] / total:5.1f}%")
    return "\n".join(lines)
