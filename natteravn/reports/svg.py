"""Bar charts as inline SVG: drawn on the server, black on white so they print, with a title
and description for screen readers (the page shows the same figures in a table too)."""

from __future__ import annotations

from itertools import count

from markupsafe import Markup, escape

ROW = 26
LABEL_WIDTH = 280
BAR_WIDTH = 300
VALUE_WIDTH = 70
_ids = count(1)


def bar_chart(
    title: str, description: str, rows: list[tuple[str, float]], value_format=str, hidden_below: float = 0
) -> Markup:
    """A horizontal bar per row, its value written at the end of the bar. A value above 0 and below
    `hidden_below` gets no bar, so that its length cannot tell what its label keeps back ("<3")."""
    chart_id = f"chart-{next(_ids)}"
    largest = max((value for _label, value in rows), default=0) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * max(len(rows), 1) + 8
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, (label, value) in enumerate(rows):
        y = 4 + index * ROW
        length = 0 if 0 < value < hidden_below else round(BAR_WIDTH * value / largest)
        parts += [
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1b1f24">'
            f"{escape(label)}</text>",
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW - 8}" fill="#3a4450" '
            f'stroke="#1b1f24" stroke-width="1"/>',
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 17}" font-size="13" fill="#1b1f24">'
            f"{escape(value_format(value))}</text>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def described(rows: list[tuple[str, float]], value_format=str) -> str:
    """The figures in words, for the chart's description: "Grue: 4, Åsnes: 7"."""
    return ", ".join(f"{label}: {value_format(value)}" for label, value in rows)
