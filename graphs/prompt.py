"""The system message a run adds before the conversation: instructions, readables, shared state."""

from __future__ import annotations

import json
from collections.abc import Mapping

from langchain_core.messages import SystemMessage
from pydantic import JsonValue

from copilot_runtime.graphs.context import RunContext

DEFAULT_INSTRUCTIONS = (
    "You are a helpful assistant inside an application. Use the available tools when they help "
    "answer; when a tool returns an error, correct the call or explain the problem."
)
READABLES_HEADER = "Context provided by the application:"
STATE_HEADER = "The application's shared state (JSON):"


def system_message(context: RunContext, state: Mapping[str, JsonValue] | None) -> SystemMessage:
    """One system message; it is sent to the model on every step but never stored in the thread."""
    parts = [context.instructions or DEFAULT_INSTRUCTIONS]
    if context.readables:
        lines = [f"- {description}: {value}" for description, value in context.readables]
        parts.append("\n".join([READABLES_HEADER, *lines]))
    if state:
        parts.append(f"{STATE_HEADER}\n{json.dumps(state, ensure_ascii=False, sort_keys=True)}")
    return SystemMessage(content="\n\n".join(parts))
