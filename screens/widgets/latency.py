"""The load step's latency histogram, drawn with plotext. textual_plotext (and plotext) cost about
20 ms to import, so they are imported here, when a load result is first shown, never at start-up."""

from __future__ import annotations

from typing import Any

from textual.widget import Widget


def bucket_labels(histogram: list[dict[str, Any]]) -> list[str]:
    labels, low = [], 0.0
    for bucket in histogram:
        upper = bucket["upper_ms"]
        labels.append(f"{low:g}–{upper:g} ms: {bucket['count']}")
        low = upper
    return labels


def latency_plot(histogram: list[dict[str, Any]], title: str = "latency histogram") -> Widget:
    from textual_plotext import PlotextPlot

    plot = PlotextPlot(classes="sv-histogram")
    # One line per bucket plus the title and the axis: the height follows the data, so it is set
    # here rather than in the stylesheet.
    plot.styles.height = len(histogram) + 4
    plt = plot.plt
    # Horizontal bars, fastest first at the top, each labelled with its range and count (nothing
    # to read off an axis).
    plt.bar(bucket_labels(histogram)[::-1], [b["count"] for b in histogram][::-1], orientation="horizontal",
            width=1 / 5)
    plt.title(title + " (requests per latency range)")
    return plot
