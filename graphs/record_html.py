"""record_html: a RunRecord as the HTML Jupyter shows (summary, tool calls, messages, events)."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from copilot_runtime.graphs.table import html_table

if TYPE_CHECKING:
    from copilot_runtime.graphs.record import RunRecord

STYLE = "font-family: system-ui, sans-serif; font-size: 13px; line-height: 1.4"


def record_html(record: RunRecord) -> str:
    """The record's summary, then its tool calls, messages and events (the last two folded)."""
    parts = [
        f'<div style="{STYLE}">',
        _summary(record),
        "<h4>Tool calls</h4>",
        html_table(record.tool_table()),
        _folded(f"Messages ({len(record.messages)})", _messages(record)),
        _folded(f"Events ({len(record.events)})", html_table(record.table())),
        "</div>",
    ]
    return "".join(parts)


def _summary(record: RunRecord) -> str:
    ttft = record.time_to_first_token
    if record.error is not None:
        error = record.error
        status = f"❌ RUN_ERROR {html.escape(error.code or '')}: {html.escape(error.message)}"
    else:
        status = "✅ RUN_FINISHED"
    usage = ", ".join(
        f"{u.model or u.provider or 'model'}: {u.input_tokens} in / {u.output_tokens} out"
        for u in record.usage
    )
    facts = [
        ("thread", record.thread_id),
        ("run", record.run_id),
        ("duration", f"{record.duration * 1000:.1f} ms"),
        ("time to first token", "—" if ttft is None else f"{ttft * 1000:.1f} ms"),
        ("tokens", usage or "not reported"),
    ]
    rows = "".join(
        f"<tr><th style='text-align:left'>{name}</th><td>{html.escape(value)}</td></tr>"
        for name, value in facts
    )
    return f"<p><strong>{status}</strong></p><table>{rows}</table>"


def _messages(record: RunRecord) -> str:
    items = []
    for message in record.messages:
        data = message.model_dump(by_alias=True, exclude_none=True)
        role = html.escape(str(data.pop("role", "")))
        data.pop("id", None)
        content = data.pop("content", "")
        text = content if isinstance(content, str) else json.dumps(content)
        extra = f" <code>{html.escape(json.dumps(data))}</code>" if data else ""
        items.append(f"<li><strong>{role}</strong>: {html.escape(text)}{extra}</li>")
    return f"<ol>{''.join(items)}</ol>"


def _folded(title: str, body: str) -> str:
    return f"<details><summary>{html.escape(title)}</summary>{body}</details>"
