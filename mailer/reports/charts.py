"""Charts as SVG made on the server: no script, so they render under the console's strict
Content-Security-Policy (presentation attributes only, no ``style``), in any browser,
and in a saved page.

Readable without colour: each series has its own fill pattern (solid, hatched,
dotted) named in a legend, threshold lines are dashed differently and labelled in
words, and every bar carries its number. The page puts the same numbers in a table
beside each chart (the chart is ``role="img"`` with a title and a description).
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 640
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 34, 54
INK = "#1d1d1f"
MUTED = "#555555"
GRID = "#d0d0d4"
#: Fills that differ in pattern as well as shade (see ``_defs``).
FILLS = ("#3a3a40", "url(#hatch)", "url(#dots)")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str
    dash: str  # an SVG stroke-dasharray: "6 4", "2 3", "" (solid)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _defs() -> str:
    return (
        "<defs>"
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{INK}" stroke-width="2.5"/></pattern>'
        '<pattern id="dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        f'<rect width="5" height="5" fill="#ffffff"/><circle cx="2.5" cy="2.5" r="1.3" '
        f'fill="{INK}"/></pattern>'
        "</defs>"
    )


def _nice_max(value: float) -> float:
    """A round axis top a little above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value * 1.1))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= value * 1.1:
            return factor * magnitude
    return 10 * magnitude


def _frame(title: str, desc: str, body: str, legend: str, height: int = HEIGHT) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="chart-t{n} chart-d{n}" class="chart" '
        f'font-family="system-ui, sans-serif" font-size="13">'
        f'<title id="chart-t{n}">{_esc(title)}</title><desc id="chart-d{n}">{_esc(desc)}</desc>'
        f"{_defs()}{legend}{body}</svg>"
    )


def _legend(series: Sequence[Series]) -> str:
    out, x = [], LEFT
    for i, s in enumerate(series):
        fill = FILLS[i % len(FILLS)]
        out.append(
            f'<rect x="{x}" y="8" width="14" height="14" fill="{fill}" stroke="{INK}"/>'
            f'<text x="{x + 20}" y="19" fill="{INK}">{_esc(s.name)}</text>'
        )
        x += 30 + 8 * len(s.name)
    return "".join(out)


def count(value: float) -> str:
    """A count on a bar (whole) or an axis tick (2.5 stays 2.5)."""
    return f"{value:,g}"


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = count,
    thresholds: Sequence[Threshold] = (),
    desc: str = "",
) -> Markup:
    """Grouped vertical bars, one group per label, each bar labelled with its value."""
    top = _nice_max(max([*(v for s in series for v in s.values), *(t.value for t in thresholds)]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    groups = max(1, len(labels))
    group_w = plot_w / groups
    bar_w = min(36.0, group_w * 0.8 / max(1, len(series)))
    parts = []

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    for k in range(5):
        v = top * k / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="{GRID}"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{_esc(fmt(v))}</text>'
        )
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + (group_w - bar_w * len(series)) / 2
        for i, s in enumerate(series):
            v = s.values[g]
            x = x0 + i * bar_w
            h = max(0.0, y(0) - y(v))
            parts.append(
                f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{FILLS[i % len(FILLS)]}" stroke="{INK}" stroke-width="0.8"/>'
            )
            if len(labels) <= 16:
                parts.append(
                    f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y(v) - 4:.1f}" text-anchor="middle" '
                    f'font-size="10" fill="{INK}">{_esc(fmt(v))}</text>'
                )
        if groups <= 16 or g % max(1, groups // 8) == 0:
            parts.append(
                f'<text x="{LEFT + g * group_w + group_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" fill="{INK}" font-size="10">{_esc(label)}</text>'
            )
    for n, t in enumerate(thresholds):
        dash = f' stroke-dasharray="{t.dash}"' if t.dash else ""
        # Labels alternate ends (and sit above their line) so two close lines stay legible.
        x, anchor = (LEFT + 4, "start") if n % 2 == 0 else (WIDTH - RIGHT - 4, "end")
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(t.value):.1f}" y2="{y(t.value):.1f}" '
            f'stroke="{INK}" stroke-width="2"{dash}/>'
            f'<text x="{x}" y="{y(t.value) - 5:.1f}" text-anchor="{anchor}" fill="{INK}" '
            f'font-weight="bold" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
            f"{_esc(t.label)}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{INK}"/>'
    )
    if not labels:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{MUTED}">'
            "Nothing to show yet</text>"
        )
    return _frame(title, desc or title, "".join(parts), _legend(series))


def line_chart(
    title: str, labels: Sequence[str], values: Sequence[float], *, name: str, desc: str = ""
) -> Markup:
    """One series as a line with a square marker and its number at each point."""
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(values) - 1)
    parts = []

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    for k in range(5):
        v = top * k / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="{GRID}"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{count(v)}</text>'
        )
    points = [(LEFT + i * step, y(v)) for i, v in enumerate(values)]
    if points:
        path = " ".join(f"{x:.1f},{py:.1f}" for x, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="2"/>')
    for i, ((x, py), v) in enumerate(zip(points, values, strict=True)):
        parts.append(f'<rect x="{x - 3:.1f}" y="{py - 3:.1f}" width="6" height="6" fill="{INK}"/>')
        if i % 2 == 0 or i == len(values) - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{py - 8:.1f}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{v:,.0f}</text>'
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="10" fill="{INK}">{_esc(labels[i])}</text>'
            )
    legend = (
        f'<rect x="{LEFT}" y="11" width="14" height="6" fill="{INK}"/>'
        f'<text x="{LEFT + 20}" y="19" fill="{INK}">{_esc(name)}</text>'
    )
    return _frame(title, desc or title, "".join(parts), legend)


def percent(value: float) -> str:
    """A rate as people read it: 0.1%, 2.35%, 0%."""
    if value == 0:
        return "0%"
    return f"{value:.2%}" if value < 0.1 else f"{value:.1%}"
