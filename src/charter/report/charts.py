"""Charts as inline SVG, drawn in Python from the registry's numbers.

Why not a JavaScript charting library: a report is opened from a closed hospital or bank network, often from a
file share, and must show its evidence with scripts blocked, in print, and without shipping megabytes of third-party
code that someone has to review. The charts a registry needs are few (lines with confidence intervals, grouped bars,
reference lines), so drawing them is less code than adapting a library would be. Hovering a point shows its
exact value through SVG's own `<title>` tooltips.

Every text and attribute goes through `_esc`: registry text is untrusted, and the output is inserted as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html import escape

from charter.registry.times import parse_instant

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH, HEIGHT = 560, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 62, 16, 16, 46


def _esc(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    """Coordinates rounded: shorter markup, identical pictures."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def format_value(value: float) -> str:
    """A number as people read it in a table: 4 significant digits, no exponent for ordinary sizes."""
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-4:
        return f"{value:.3g}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class Point:
    x: float | str  # a number, an ISO date or timestamp (time axis), or a category
    y: float
    low: float | None = None  # confidence interval, drawn as an error bar
    high: float | None = None
    note: str = ""  # shown in the tooltip
    hollow: bool = False  # drawn as a ring: an observation rather than an estimate


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]
    dashed: bool = False
    connect: bool = True
    colour: int | None = None  # palette position; series that belong together (one evaluation) share one


@dataclass(frozen=True)
class Marker:
    """A vertical reference line (an operating threshold, a promotion date)."""

    x: float | str
    label: str


@dataclass
class Axis:
    label: str
    low: float | None = None  # forced bounds (rates live in [0, 1])
    high: float | None = None
    ticks: list[float] = field(default_factory=list)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) spanning [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        spread = abs(low) * 0.1 or 1.0
        low, high = low - spread, high + spread
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while not ticks or ticks[-1] < high - step * 1e-9:  # the last tick reaches past the data, whiskers included
        ticks.append(round(value, 12))
        value += step
    return ticks


#: The years a time axis spans. A date outside (0001-01-01 and 9999-12-31 are placeholders people write) stays in
#: the tables as written but is left out of the charts: it would squeeze every other point into one pixel, and the
#: axis's padding and ticks would reach past the years a datetime can hold.
CHART_YEARS = range(1900, 2200)


def to_day(value: str) -> float | None:
    """An ISO date or timestamp as fractional days since the epoch (UTC); None where it cannot be charted."""
    moment = parse_instant(value.strip())
    if moment is None or moment.year not in CHART_YEARS:
        return None
    return moment.timestamp() / 86400


def day_label(day: float) -> str:
    return datetime.fromtimestamp(day * 86400, UTC).date().isoformat()


def time_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Ticks on the first day of a month (every 1, 2, 3, 6 or 12 months), or on days for short spans."""
    if high - low < 62:
        step = next((s for s in (1, 2, 7, 14) if (high - low) / s <= count), 28)
        first = math.ceil(low / step) * step
        return [float(d) for d in range(int(first), int(high) + 1, step)]
    start = datetime.fromtimestamp(low * 86400, UTC)
    months = (high - low) / 30.4
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= count), 120)
    year, month = start.year, start.month
    ticks = []
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        day = datetime(year, month, 1, tzinfo=UTC).timestamp() / 86400
        if day > high:
            break
        if (step <= 12 and (month - 1) % step == 0) or (month == 1 and year % (step // 12 or 1) == 0):
            ticks.append(day)
    return ticks


class _Scale:
    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def _frame(title: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{_esc(title)}">'
            f"<title>{_esc(title)}</title>{''.join(body)}</svg>")


def _legend(names: Sequence[tuple[str, str, bool]]) -> str:
    """An HTML legend below the chart: wraps on its own, and its text is selectable."""
    items = []
    for name, colour, dashed in names:
        style = "dashed" if dashed else "solid"
        items.append(f'<li><span class="swatch {style}" style="border-color:{_esc(colour)}"></span>'
                     f"{_esc(name)}</li>")
    return f'<ul class="legend">{"".join(items)}</ul>' if len(items) > 1 else ""


def _value_range(axis: Axis, values: Sequence[float], start: float) -> tuple[list[float], float, float]:
    """Ticks and bounds of a value axis: the axis's own where set, else round ticks from `start` past the data."""
    ticks = axis.ticks or nice_ticks(start, max(values))
    low = axis.low if axis.low is not None else min([*ticks, *values])
    high = axis.high if axis.high is not None else max([*ticks, *values])
    return [t for t in ticks if low - 1e-12 <= t <= high + 1e-12], low, high


def line_chart(title: str, series: Sequence[Series], x_axis: Axis, y_axis: Axis, *, x_kind: str = "number",
               markers: Sequence[Marker] = (), diagonal: bool = False) -> str:
    """Lines (or dots) with optional confidence-interval bars. `x_kind`: number, time or category."""
    if x_kind == "time":  # only dates a time axis can place
        series = [replace(s, points=tuple(p for p in s.points if to_day(str(p.x)) is not None)) for s in series]
        markers = [m for m in markers if to_day(str(m.x)) is not None]
    drawn = [s for s in series if s.points]
    if not drawn:
        return ""
    categories: list[str] = []
    if x_kind == "category":
        for s in drawn:
            for p in s.points:
                if str(p.x) not in categories:
                    categories.append(str(p.x))

    def x_value(x: float | str) -> float:
        if x_kind == "category":
            return float(categories.index(str(x)))
        if x_kind == "time":
            day = to_day(str(x))
            assert day is not None  # the points and markers without one were left out above
            return day
        return float(x)

    xs = [x_value(p.x) for s in drawn for p in s.points] + [x_value(m.x) for m in markers]
    ys = [v for s in drawn for p in s.points for v in (p.y, p.low, p.high) if v is not None]
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    plot_top, plot_bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM

    if x_kind == "category":
        x_low, x_high = -0.5, len(categories) - 0.5
        x_ticks = [float(i) for i in range(len(categories))]
    elif x_kind == "time":
        x_low, x_high = min(xs), max(xs)
        pad = max((x_high - x_low) * 0.05, 10.0)  # a lone date gets a few weeks around it
        x_low, x_high = x_low - pad, x_high + pad
        x_ticks = time_ticks(x_low, x_high)
    else:
        x_ticks = x_axis.ticks or nice_ticks(min(xs), max(xs), 6)
        x_low = x_axis.low if x_axis.low is not None else min([*x_ticks, *xs])
        x_high = x_axis.high if x_axis.high is not None else max([*x_ticks, *xs])
        x_ticks = [t for t in x_ticks if x_low <= t <= x_high]
    y_ticks, y_low, y_high = _value_range(y_axis, ys, min(ys))
    sx = _Scale(x_low, x_high, plot_left, plot_right)
    sy = _Scale(y_low, y_high, plot_bottom, plot_top)

    body = [f'<rect class="plot" x="{plot_left}" y="{plot_top}" width="{plot_right - plot_left}" '
            f'height="{plot_bottom - plot_top}"/>']
    for t in y_ticks:
        y = _num(sy(t))
        body.append(f'<line class="grid" x1="{plot_left}" x2="{plot_right}" y1="{y}" y2="{y}"/>'
                    f'<text class="tick" x="{plot_left - 6}" y="{y}" text-anchor="end" dy="0.32em">'
                    f"{_esc(format_value(t))}</text>")
    for t in x_ticks:
        x = _num(sx(t))
        label = categories[int(t)] if x_kind == "category" else day_label(t) if x_kind == "time" \
            else format_value(t)
        body.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{plot_top}" y2="{plot_bottom}"/>'
                    f'<text class="tick" x="{x}" y="{plot_bottom + 16}" text-anchor="middle">{_esc(label)}</text>')
    body.append(f'<text class="axis-label" x="{(plot_left + plot_right) / 2}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{_esc(x_axis.label)}</text>'
                f'<text class="axis-label" transform="translate(14 {(plot_top + plot_bottom) / 2}) rotate(-90)" '
                f'text-anchor="middle">{_esc(y_axis.label)}</text>')
    if diagonal:
        lo, hi = max(x_low, y_low), min(x_high, y_high)
        body.append(f'<line class="reference" x1="{_num(sx(lo))}" y1="{_num(sy(lo))}" x2="{_num(sx(hi))}" '
                    f'y2="{_num(sy(hi))}"><title>perfect calibration</title></line>')
    for marker in markers:
        at = sx(x_value(marker.x))
        x = _num(at)
        # Labels of lines in the right half read leftwards, so they stay inside the chart.
        side = 'text-anchor="end" dx="-4"' if at > (plot_left + plot_right) / 2 else 'dx="4"'
        body.append(f'<line class="marker" x1="{x}" x2="{x}" y1="{plot_top}" y2="{plot_bottom}">'
                    f"<title>{_esc(marker.label)}</title></line>"
                    f'<text class="marker-label" x="{x}" y="{plot_top + 10}" {side}>{_esc(marker.label)}</text>')
    legend = []
    for i, s in enumerate(drawn):
        colour = PALETTE[(i if s.colour is None else s.colour) % len(PALETTE)]
        legend.append((s.name, colour, s.dashed))
        points = sorted(s.points, key=lambda p: x_value(p.x))
        coords = [(sx(x_value(p.x)), sy(p.y)) for p in points]
        group = [f'<g class="series" data-series="{_esc(s.name)}" style="color:{colour}">']
        if s.connect and len(coords) > 1:
            path = " ".join(f"{_num(cx)},{_num(cy)}" for cx, cy in coords)
            group.append(f'<polyline class="line{" dashed" if s.dashed else ""}" points="{path}"/>')
        for (cx, cy), p in zip(coords, points, strict=True):
            if p.low is not None and p.high is not None:
                group.append(f'<line class="ci" x1="{_num(cx)}" x2="{_num(cx)}" y1="{_num(sy(p.low))}" '
                             f'y2="{_num(sy(p.high))}"/>')
            interval = f" [{format_value(p.low)}, {format_value(p.high)}]" \
                if p.low is not None and p.high is not None else ""
            shown_x = p.x if isinstance(p.x, str) else format_value(p.x)
            tip = f"{s.name}: {shown_x} → {format_value(p.y)}{interval}" + (f" ({p.note})" if p.note else "")
            css = "dot hollow" if p.hollow else "dot"
            group.append(f'<circle class="{css}" cx="{_num(cx)}" cy="{_num(cy)}" r="3.5"><title>{_esc(tip)}'
                         f"</title></circle>")
        group.append("</g>")
        body.extend(group)
    return f'<figure class="figure">{_frame(title, body)}{_legend(legend)}<figcaption>{_esc(title)}' \
           f"</figcaption></figure>"


@dataclass(frozen=True)
class BarGroup:
    """One category (a subgroup) and a value for each series (an evaluation); None where it was not measured."""

    label: str
    values: tuple[float | None, ...]
    notes: tuple[str, ...] = ()


def _horizontal_value_axis(ticks: Sequence[float], sx: _Scale, plot: tuple[float, float, float, float], label: str,
                           height: float) -> list[str]:
    """The plot area, a vertical grid line and tick label per tick, and the axis label below: the frame of a chart
    whose rows are categories and whose values run left to right (bars, forest plots)."""
    left, right, top, bottom = plot
    body = [f'<rect class="plot" x="{left}" y="{top}" width="{right - left}" height="{bottom - top}"/>']
    for t in ticks:
        x = _num(sx(t))
        body.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{top}" y2="{bottom}"/>'
                    f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle">{_esc(format_value(t))}</text>')
    body.append(f'<text class="axis-label" x="{(left + right) / 2}" y="{height - 8}" text-anchor="middle">'
                f"{_esc(label)}</text>")
    return body


def bar_chart(title: str, series_names: Sequence[str], groups: Sequence[BarGroup], axis: Axis,
              references: Sequence[tuple[float, str]] = ()) -> str:
    """Horizontal grouped bars: one row per category, one bar per series. `references`: dashed vertical lines."""
    measured = [v for g in groups for v in g.values if v is not None]
    if not measured:
        return ""
    series_count = max(len(series_names), 1)
    bar, gap = 9, 8
    row = bar * series_count + gap
    label_width = 150
    plot_left, plot_right = label_width, WIDTH - MARGIN_RIGHT
    plot_top = MARGIN_TOP
    plot_bottom = plot_top + row * len(groups)
    height = plot_bottom + MARGIN_BOTTOM
    values = measured + [value for value, _ in references]
    ticks, low, high = _value_range(axis, values, min([0.0, *values]) if axis.low is None else axis.low)
    sx = _Scale(low, high, plot_left, plot_right)
    body = _horizontal_value_axis(ticks, sx, (plot_left, plot_right, plot_top, plot_bottom), axis.label, height)
    for i, group in enumerate(groups):
        top = plot_top + i * row + gap / 2
        body.append(f'<text class="tick" x="{plot_left - 6}" y="{_num(top + bar * series_count / 2)}" '
                    f'text-anchor="end" dy="0.32em">{_esc(group.label)}</text>')
        for j, value in enumerate(group.values):
            if value is None:
                continue
            colour = PALETTE[j % len(PALETTE)]
            start, end = sx(max(low, 0.0) if low <= 0 else low), sx(value)
            note = group.notes[j] if j < len(group.notes) and group.notes[j] else ""
            name = series_names[j] if j < len(series_names) else ""
            tip = f"{group.label}, {name}: {format_value(value)}" + (f" ({note})" if note else "")
            body.append(f'<rect class="bar" x="{_num(min(start, end))}" y="{_num(top + j * bar)}" '
                        f'width="{_num(max(abs(end - start), 1))}" height="{bar - 1}" fill="{colour}">'
                        f"<title>{_esc(tip)}</title></rect>")
    for value, label in references:
        x = _num(sx(value))
        body.append(f'<line class="marker" x1="{x}" x2="{x}" y1="{plot_top}" y2="{plot_bottom}">'
                    f"<title>{_esc(label)}: {_esc(format_value(value))}</title></line>")
    legend = [(name, PALETTE[j % len(PALETTE)], False) for j, name in enumerate(series_names)]
    return f'<figure class="figure">{_frame(title, body, WIDTH, height)}{_legend(legend)}' \
           f"<figcaption>{_esc(title)}</figcaption></figure>"


@dataclass(frozen=True)
class IntervalRow:
    """One estimate with its confidence interval: a subgroup's AUROC, or a difference between two versions."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    note: str = ""  # shown in the tooltip (n, p-value, method)
    hollow: bool = False  # a small sample: read the interval, not the point


def interval_chart(title: str, rows: Sequence[IntervalRow], axis: Axis,
                   reference: tuple[float, str] | None = None) -> str:
    """A forest plot: one row per estimate, a dot with its interval as a horizontal line, and a dashed reference
    line (zero for differences, the overall value for subgroups) to read each interval against."""
    if not rows:
        return ""
    row_height, label_width = 22, 170
    plot_left, plot_right, plot_top = label_width, WIDTH - MARGIN_RIGHT, MARGIN_TOP
    plot_bottom = plot_top + row_height * len(rows)
    height = plot_bottom + MARGIN_BOTTOM
    values = [v for r in rows for v in (r.value, r.low, r.high) if v is not None] + \
        ([reference[0]] if reference else [])
    ticks, low, high = _value_range(axis, values, min(values) if axis.low is None else axis.low)
    sx = _Scale(low, high, plot_left, plot_right)
    body = _horizontal_value_axis(ticks, sx, (plot_left, plot_right, plot_top, plot_bottom), axis.label, height)
    if reference is not None:
        x = _num(sx(reference[0]))
        body.append(f'<line class="marker" x1="{x}" x2="{x}" y1="{plot_top}" y2="{plot_bottom}">'
                    f"<title>{_esc(reference[1])}: {_esc(format_value(reference[0]))}</title></line>")
    colour = PALETTE[0]
    for i, row in enumerate(rows):
        y = _num(plot_top + (i + 0.5) * row_height)
        body.append(f'<text class="tick" x="{plot_left - 6}" y="{y}" text-anchor="end" dy="0.32em">'
                    f"{_esc(row.label)}</text>")
        bounds = f" ({format_value(row.low)} to {format_value(row.high)})" \
            if row.low is not None and row.high is not None else ""
        tip = f"{row.label}: {format_value(row.value)}{bounds}" + (f", {row.note}" if row.note else "")
        if row.low is not None and row.high is not None:
            body.append(f'<line class="interval" x1="{_num(sx(row.low))}" x2="{_num(sx(row.high))}" y1="{y}" '
                        f'y2="{y}" stroke="{colour}" stroke-width="2"/>')
        fill = "white" if row.hollow else colour
        body.append(f'<circle cx="{_num(sx(row.value))}" cy="{y}" r="4" fill="{fill}" stroke="{colour}" '
                    f'stroke-width="1.5"><title>{_esc(tip)}</title></circle>')
    return f'<figure class="figure">{_frame(title, body, WIDTH, height)}' \
           f"<figcaption>{_esc(title)}</figcaption></figure>"
