"""Time to first paint of `migration-wizard review` on large journals, next to a bare Textual app.

    python benchmarks/bench_review.py [--sizes 10000,100000] [--repeat 3]

The journals are generated from tests/golden/journal.jsonl (a real sandbox week): its events are
repeated, re-numbered and re-chained, so every generated journal verifies intact and replays like
a very long run. Each figure is measured in a fresh process, from the start of the process (so
Python and Textual imports count) to the first frame the app paints (headless), and for review
also to the moment the week overview and the integrity check are filled in. A bare Textual app
showing one line is measured the same way, in the same run, as the floor. The CPU time of the
review's process (to the week overview, and in all) and of its chain-check process is printed
too: on a machine shared with other work the wall times stretch, the CPU times much less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_support, also when loaded by a test
from bench_support import precompile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "golden" / "journal.jsonl"
PAINT_TARGET = 2.5  # review's first paint, in bare first paints
READY_TARGET = 6  # week overview filled and hash chain checked, in bare first paints
sys.path.insert(0, str(ROOT))


def generate_journal(path: Path, count: int, template: Path = TEMPLATE) -> Path:
    """A valid, chained journal of `count` events made by repeating the template's events."""
    from datetime import datetime, timedelta

    from wizard.journal.store import GENESIS, _canonical, event_hash, line_hash

    source = [json.loads(line) for line in template.read_bytes().splitlines() if line.strip()]
    body = [e for e in source if e["type"] not in ("run_started",)]
    first = source[0]
    prev = GENESIS
    with path.open("wb") as fh:
        seq = 0
        cycle = 0
        events = iter(())
        while seq < count:
            if seq == 0:
                event = dict(first)
            else:
                try:
                    event = dict(next(events))
                except StopIteration:
                    cycle += 1
                    events = iter(body)
                    continue
                if cycle > 0 and "ts" in event:
                    moment = datetime.fromisoformat(event["ts"]) + timedelta(hours=cycle)
                    event["ts"] = moment.isoformat(timespec="milliseconds")
                if "pass_id" in event:
                    event["pass_id"] = event["pass_id"] + 10 * cycle
            if seq == 0:
                events = iter(body)
            event["seq"] = seq
            event["prev"] = prev
            event.pop("hash", None)
            event["hash"] = event_hash(event)
            line = _canonical(event)
            fh.write(line + b"\n")
            prev = line_hash(line)
            seq += 1
    return path


BARE = r"""
import sys, time
t0 = float(sys.argv[1])
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.painted)
    def painted(self):
        print(json.dumps({"first_paint": time.time() - t0}))
        self.exit()
import json
Bare().run(headless=True, size=(120, 40))
"""

REVIEW = r"""
import sys, time, json, resource
t0 = float(sys.argv[1])
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from screens.review import ReviewApp
out = {}
class Timed(ReviewApp):
    def on_first_paint(self):
        out["first_paint"] = time.time() - t0
    def on_loaded(self):
        out["overview_ready"] = time.time() - t0
        out["cpu_overview"] = time.process_time()  # this process, launch to the week filled in
    def on_verified(self):
        out["integrity_ready"] = time.time() - t0
        out["cpu_review"] = time.process_time()  # this process, all its threads
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the chain check's process, waited for by now
        out["cpu_chain"] = children.ru_utime + children.ru_stime
        print(json.dumps(out))
        self.exit()
Timed(Path(sys.argv[2])).run(headless=True, size=(120, 40))
"""


def _measure(script: str, *args: str) -> dict[str, float]:
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-c", script, repr(t0), *args], capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark process failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def _scroll_cost(path: Path) -> dict[str, float]:
    """In-process: index build time, and the time to read + format one screen of events anywhere."""
    from screens.review_events import format_event
    from wizard.journal import JournalIndex

    t0 = time.perf_counter()
    index = JournalIndex(path)
    built = time.perf_counter() - t0
    pages = []
    for start in (0, len(index) // 2, max(0, len(index) - 40)):
        t0 = time.perf_counter()
        for i in range(start, min(start + 40, len(index))):
            format_event(index.event(i), i)
        pages.append(time.perf_counter() - t0)
    index.close()
    return {"index_build": built, "page_of_40_events": max(pages)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        journals = {}
        for size in sizes:
            t0 = time.perf_counter()
            path = generate_journal(Path(tmp) / f"journal-{size}.jsonl", size)
            journals[size] = path
            print(f"generated {size:,} events: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
        precompile()
        bare = [_measure(BARE)["first_paint"] for _ in range(args.repeat)]
        print(f"\n{'app':<28}{'first paint':>14}{'overview ready':>17}{'integrity ready':>18}")
        print(f"{'bare Textual app':<28}{statistics.median(bare):>13.3f}s{'':>17}{'':>18}")
        ratios: list[tuple[int, dict[str, float]]] = []
        for size, path in journals.items():
            runs = [_measure(REVIEW, str(path), str(ROOT)) for _ in range(args.repeat)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{'review, ' + format(size, ',') + ' events':<28}{med['first_paint']:>13.3f}s"
                  f"{med['overview_ready']:>16.3f}s{med['integrity_ready']:>17.3f}s"
                  f"   CPU: review process {med['cpu_overview']:.2f}s to the overview ({med['cpu_review']:.2f}s in all), "
                  f"chain check {med['cpu_chain']:.2f}s")
            ratios.append((size, med))
        floor = statistics.median(bare)
        print(f"\nagainst the bare app's first paint ({floor:.3f}s); targets: first paint <= {PAINT_TARGET}x, "
              f"overview and integrity ready <= {READY_TARGET}x")
        for size, med in ratios:
            paint, ready = med["first_paint"] / floor, max(med["overview_ready"], med["integrity_ready"]) / floor
            print(f"{size:>8,} events: first paint {paint:.2f}x ({'met' if paint <= PAINT_TARGET else 'NOT met'}), "
                  f"overview {med['overview_ready'] / floor:.2f}x, integrity {med['integrity_ready'] / floor:.2f}x "
                  f"({'met' if ready <= READY_TARGET else 'NOT met'})")
        print("\n(median of", args.repeat, "fresh processes each; times from process start, imports included)")
        for size, path in journals.items():
            cost = _scroll_cost(path)
            print(f"{size:>8,} events: index built in {cost['index_build'] * 1000:.0f} ms; "
                  f"one screen of 40 events read and formatted in {cost['page_of_40_events'] * 1000:.1f} ms (worst of top/middle/end)")


if __name__ == "__main__":
    main()
