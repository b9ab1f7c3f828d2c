"""CSV files for Excel, the one way: UTF-8 with a byte order mark (so Excel reads æøå), semicolons
(Excel's separator where the decimal mark is a comma), and no cell Excel would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: What makes Excel read a cell as a formula (OWASP's list, with tab and carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell as text; text that Excel would run as a formula gets an apostrophe in front. Numbers
    are left as they are: a negative count is no formula."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()
