"""Charts as inline SVG: no scripts, no fonts or files to fetch, so the report works offline."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    value_format: str = "{:,.0f}",
    width: int = 760,
    height: int = 260,
    links: Sequence[str] | None = None,
) -> str:
    """Return an SVG bar chart; every bar carries a ``<title>`` tooltip with its exact value.

    ``links[i]``, when given, makes bar ``i`` a link (dashboard drill-down).

    Examples
    --------
    >>> svg = bar_chart(["Jan", "Feb"], [3, 5], title="Orders")
    >>> svg.startswith("<svg") and svg.count("<rect") == 2
    True
    """
    left, bottom, top = 56, 42, 16
    plot_w, plot_h = width - left - 12, height - bottom - top
    peak = max([float(v) for v in values] + [1e-12])
    step = plot_w / max(len(values), 1)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 12}" y2="{top + plot_h}" '
        'stroke="#999"/>',
    ]
    for frac in (0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
                     f"{escape(value_format.format(peak * frac))}</text>")
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 12}" y2="{y:.1f}" '
                     'stroke="#eee"/>')
    every = max(1, len(labels) // 12)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * float(value) / peak
        x = left + i * step
        bar = (
            f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.8:.1f}" '
            f'height="{h:.1f}" fill="#3b6ea8"><title>{escape(label)}: '
            f"{escape(value_format.format(value))}</title></rect>"
        )
        if links:
            bar = f'<a class="drill" href="{escape(links[i])}">{bar}</a>'
        parts.append(bar)
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle" class="axis">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(xs: Sequence[float], ys: Sequence[float], *, title: str, x_label: str,
               y_label: str, width: int = 760, height: int = 280,
               diagonal: bool = False) -> str:
    """Return an SVG line chart of points in [0, 1] x [0, 1] (shares), with an optional diagonal.

    Examples
    --------
    >>> line_chart([0.5, 1.0], [0.8, 1.0], title="t", x_label="x", y_label="y").count("<path")
    1
    """
    left, bottom, top, right = 56, 42, 16, 16
    pw, ph = width - left - right, height - top - bottom

    def at(x: float, y: float) -> str:
        return f"{left + pw * x:.1f},{top + ph * (1 - y):.1f}"

    points = " L".join(at(float(x), float(y)) for x, y in zip([0.0, *xs], [0.0, *ys],
                                                               strict=True))
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>',
        f'<path d="M{points}" fill="none" stroke="#3b6ea8" stroke-width="2"/>',
        f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle" class="axis">'
        f"{escape(x_label)}</text>",
        f'<text x="14" y="{top + ph / 2}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 14 {top + ph / 2})">{escape(y_label)}</text>',
    ]
    if diagonal:
        parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top}" '
                     'stroke="#bbb" stroke-dasharray="4 4"/>')
    for frac in (0.2, 0.5, 1.0):
        parts.append(f'<text x="{left + pw * frac:.1f}" y="{top + ph + 16}" text-anchor="middle"'
                     f' class="axis">{frac:.0%}</text>')
        parts.append(f'<text x="{left - 6}" y="{top + ph * (1 - frac) + 4:.1f}" '
                     f'text-anchor="end" class="axis">{frac:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


PALETTE = ("#3b6ea8", "#d9822b", "#4c9a5b", "#a34f8f")


def series_chart(xs: Sequence[float], series: dict[str, Sequence[float]], *, title: str,
                 x_label: str, y_label: str, marker_x: float | None = None,
                 x_ticks: Sequence[str] | None = None, width: int = 760,
                 height: int = 280) -> str:
    """Return an SVG chart of several named lines over shared x values, with a legend.

    ``marker_x`` draws a dashed vertical line (e.g. the end of a calibration period);
    ``x_ticks`` labels each x instead of the numbers.

    Examples
    --------
    >>> svg = series_chart([1, 2, 3], {"actual": [1, 3, 6], "expected": [1, 2.5, 6.5]},
    ...                    title="t", x_label="week", y_label="purchases")
    >>> svg.count("<path"), "expected" in svg
    (2, True)
    """
    left, bottom, top, right = 64, 42, 28, 16
    pw, ph = width - left - right, height - top - bottom
    lo_x, hi_x = float(min(xs)), float(max(xs))
    span_x = (hi_x - lo_x) or 1.0
    peak = max([float(v) for ys in series.values() for v in ys] + [1e-12])

    def at(x: float, y: float) -> str:
        return f"{left + pw * (x - lo_x) / span_x:.1f},{top + ph * (1 - y / peak):.1f}"

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>',
        f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle" class="axis">'
        f"{escape(x_label)}</text>",
        f'<text x="14" y="{top + ph / 2}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 14 {top + ph / 2})">{escape(y_label)}</text>',
    ]
    for i, (name, ys) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        path = " L".join(at(float(x), float(y)) for x, y in zip(xs, ys, strict=True))
        parts.append(f'<path d="M{path}" fill="none" stroke="{colour}" stroke-width="2">'
                     f"<title>{escape(name)}</title></path>")
        parts.append(f'<rect x="{left + 8 + 130 * i}" y="8" width="12" height="4" '
                     f'fill="{colour}"/><text x="{left + 24 + 130 * i}" y="14" class="axis">'
                     f"{escape(name)}</text>")
    if marker_x is not None:
        mx = left + pw * (marker_x - lo_x) / span_x
        parts.append(f'<line x1="{mx:.1f}" y1="{top}" x2="{mx:.1f}" y2="{top + ph}" '
                     'stroke="#888" stroke-dasharray="4 4"/>')
    for frac in (0.5, 1.0):
        parts.append(f'<text x="{left - 6}" y="{top + ph * (1 - frac) + 4:.1f}" '
                     f'text-anchor="end" class="axis">{peak * frac:,.3g}</text>')
    every = max(1, len(xs) // 12)
    for i, x in enumerate(xs):
        if i % every == 0:
            label = x_ticks[i] if x_ticks else f"{float(x):g}"
            parts.append(f'<text x="{left + pw * (float(x) - lo_x) / span_x:.1f}" '
                         f'y="{top + ph + 16}" text-anchor="middle" class="axis">'
                         f"{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)
