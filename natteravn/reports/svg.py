"""Bar charts as inline SVG: drawn on the server, black on white so they print, with a title
and description for screen readers (the page shows the same figures in a table too)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

ROW = 26
LABEL_WIDTH = 280
BAR_WIDTH = 300
VALUE_WIDTH = 70
_ids = count(1)


def bar_chart(
    title: str, description: str, rows: list[tuple[str, float]], shown: Sequence[str] | None = None
) -> Markup:
    """A horizontal bar per row, its value written at the end of the bar, or as `shown` writes it.
    A value shown as something other than its number ("<3", ":") gets no bar and does not set the
    scale, so that no length can tell what its text keeps back."""
    chart_id = f"chart-{next(_ids)}"
    texts = list(shown) if shown is not None else [str(value) for _label, value in rows]
    drawn = [value if text == str(value) else 0 for (_label, value), text in zip(rows, texts, strict=True)]
    largest = max(drawn, default=0) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * max(len(rows), 1) + 8
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, ((label, _value), value, text) in enumerate(zip(rows, drawn, texts, strict=True)):
        y = 4 + index * ROW
        length = round(BAR_WIDTH * value / largest)
        parts += [
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1b1f24">'
            f"{escape(label)}</text>",
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW - 8}" fill="#3a4450" '
            f'stroke="#1b1f24" stroke-width="1"/>',
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 17}" font-size="13" fill="#1b1f24">{escape(text)}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def described(rows: list[tuple[str, float]], shown: Sequence[str] | None = None) -> str:
    """The figures in words, for the chart's description: "Grue: 4, Åsnes: 7", or as `shown` writes them."""
    texts = shown if shown is not None else [str(value) for _label, value in rows]
    return ", ".join(f"{label}: {text}" for (label, _value), text in zip(rows, texts, strict=True))
