"""The report's chart: activities by status and milestones by state, as of the report's date.

One drawing (matplotlib) for every output: SVG for pages and the HTML file, PNG at 2x for
DOCX and PDF. Colours are the status tags' and every bar also has its own hatching and its
number written beside it, so the chart survives greyscale printing; the same numbers are
always shown as a table next to it.
"""
from __future__ import annotations

import base64
import io

from markupsafe import Markup

from gmgportal.core.formatting import format_date
from gmgportal.reports.assemble import Figures

COLOURS = {"not_started": "#6b7480", "on_track": "#2e7d46", "at_risk": "#b26b00", "delayed": "#b3261e",
           "completed": "#0b5cad", "overdue": "#b3261e"}
HATCHES = {"not_started": "", "on_track": "//", "at_risk": "..", "delayed": "xx", "completed": "\\\\",
           "overdue": "xx"}
PNG_DPI = 200  # 2x of the 100 dpi the figure is laid out at


def chart_title(figures: Figures) -> str:
    return f"Activities by status and milestones, {format_date(figures.as_of)}"


def chart_description(figures: Figures) -> str:
    """The chart in words, for alt text."""
    activities = ", ".join(f"{label.lower()} {n}" for _, label, n in figures.activities)
    milestones = ", ".join(f"{label.lower()} {n}" for _, label, n in figures.milestones)
    return f"Bar charts. Activities by status: {activities}. Milestones: {milestones}."


def _panel(axes, rows, title: str, unit: str) -> None:
    labels = [label for _, label, _ in rows][::-1]
    counts = [n for *_, n in rows][::-1]
    keys = [key for key, _, _ in rows][::-1]
    bars = axes.barh(labels, counts, color=[COLOURS[k] for k in keys], edgecolor="#1b1b1b", linewidth=0.6)
    for bar, key, count in zip(bars, keys, counts):
        bar.set_hatch(HATCHES[key])
        axes.text(bar.get_width() + 0.05 * max(max(counts), 1), bar.get_y() + bar.get_height() / 2, str(count),
                  va="center", fontsize=9)
    axes.set_title(title, fontsize=10, loc="left")
    axes.set_xlabel(unit, fontsize=9)
    axes.set_xlim(0, max(max(counts), 1) * 1.25)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.tick_params(labelsize=9)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def chart(figures: Figures, fmt: str = "svg") -> bytes:
    """The chart as SVG or PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG
    matplotlib.rcParams["hatch.linewidth"] = 0.6
    figure = Figure(figsize=(7.2, 2.6), dpi=100, layout="constrained")
    left, right = figure.subplots(1, 2)
    _panel(left, figures.activities, "Activities by status", "Number of activities")
    _panel(right, figures.milestones, "Milestones", "Number of milestones")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=PNG_DPI if fmt == "png" else None,
                   metadata={"Title": chart_title(figures)} if fmt == "svg" else None)
    return buffer.getvalue()


def inline_svg(figures: Figures) -> Markup:
    """The SVG for a standalone HTML file, labelled for screen readers."""
    svg = chart(figures, "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]
    label = f'<svg role="img" aria-label="{Markup.escape(chart_description(figures))}"'
    return Markup(svg.replace("<svg", label, 1))


def png_data_uri(figures: Figures) -> str:
    return "data:image/png;base64," + base64.b64encode(chart(figures, "png")).decode("ascii")


def figures_markdown(figures: Figures) -> str:
    """The chart's numbers as Markdown tables (the Markdown export has them instead of the picture)."""
    activities = "\n".join(f"| {label} | {n} |" for _, label, n in figures.activities)
    milestones = "\n".join(f"| {label} | {n} |" for _, label, n in figures.milestones)
    return (f"**{chart_title(figures)}**\n\n| Activity status | Activities |\n|---|--:|\n{activities}\n\n"
            f"| Milestones | Number |\n|---|--:|\n{milestones}")
