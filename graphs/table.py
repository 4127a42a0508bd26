"""Table: rows of plain values that print as HTML in Jupyter and convert to pandas on request."""

from __future__ import annotations

import html
import importlib
from typing import Any

from pydantic import JsonValue


class Table(list[dict[str, JsonValue]]):
    """A list of rows (dicts with the same keys); no pandas needed to read or show it."""

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of the rows (pandas is optional: install it to use this)."""
        try:
            pandas: Any = importlib.import_module("pandas")  # optional: not a dependency
        except ImportError as error:
            raise ImportError("Table.to_dataframe() needs pandas: pip install pandas") from error
        return pandas.DataFrame(list(self))

    def _repr_html_(self) -> str:
        return html_table(self)


def html_table(rows: list[dict[str, JsonValue]], *, limit: int = 500) -> str:
    """Rows as an HTML table (the first `limit` rows), every value escaped."""
    if not rows:
        return "<p><em>no rows</em></p>"
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(column))}</td>" for column in columns) + "</tr>"
        for row in rows[:limit]
    )
    more = f"<p><em>{len(rows) - limit} more rows</em></p>" if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell(value: JsonValue) -> str:
    text = "" if value is None else str(value)
    short = text if len(text) <= 200 else text[:199] + "…"
    return f"<code>{html.escape(short)}</code>" if isinstance(value, str) else html.escape(short)
