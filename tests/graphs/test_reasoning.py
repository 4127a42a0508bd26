"""Reasoning in each provider's streamed shape becomes AG-UI reasoning events before the text."""

from __future__ import annotations

from typing import Any

import pytest
from ag_ui.core import BaseEvent, RunFinishedEvent, RunStartedEvent
from langchain_core.messages import AIMessage, AIMessageChunk

from copilot_runtime.graphs.events import EventTranslator
from copilot_runtime.testing import stream_problems
from tests.fakes import dumped


def openai_summary(part: int, text: str) -> AIMessageChunk:
    """A `response.reasoning_summary_text.delta` as langchain-openai streams it."""
    summary = [{"index": part, "type": "summary_text", "text": text}]
    block = {"type": "reasoning", "index": 0, "summary": summary}
    return AIMessageChunk(content=[block], id="m1")


def thinking(text: str, index: int) -> AIMessageChunk:
    """An Anthropic thinking delta."""
    return AIMessageChunk(content=[{"type": "thinking", "thinking": text, "index": index}], id="m1")


def reasoning_content(text: str) -> AIMessageChunk:
    """An OpenAI-compatible server's `reasoning_content` delta (DeepSeek, vLLM)."""
    return AIMessageChunk(content="", additional_kwargs={"reasoning_content": text}, id="m1")


SHAPES: dict[str, list[AIMessageChunk]] = {
    "openai responses summaries": [
        openai_summary(0, "First, "),
        openai_summary(0, "look."),
        openai_summary(1, "Then answer."),
    ],
    "anthropic thinking": [
        thinking("First, ", 0),
        thinking("look.", 0),
        thinking("Then answer.", 1),
    ],
    "reasoning_content": [reasoning_content("First, look."), reasoning_content("Then answer.")],
}


@pytest.mark.parametrize("shape", SHAPES)
def test_reasoning_streams_as_reasoning_messages_then_the_text(shape: str) -> None:
    translator = EventTranslator()
    events: list[BaseEvent] = [RunStartedEvent(thread_id="t", run_id="r")]
    for chunk in SHAPES[shape]:
        events += translator.message_chunk(chunk)
    events += translator.message_chunk(AIMessageChunk(content="Blue.", id="m1"))
    events += translator.node_update({"model": {"messages": [AIMessage("Blue.", id="m1")]}})
    events += [*translator.close(), RunFinishedEvent(thread_id="t", run_id="r")]
    sent = dumped(events)
    assert stream_problems(sent) == []
    thoughts: dict[str, str] = {}
    for event in sent:
        if event["type"] == "REASONING_MESSAGE_CONTENT":
            thoughts[event["messageId"]] = thoughts.get(event["messageId"], "") + event["delta"]
    assert "".join(thoughts.values()) == "First, look.Then answer."
    kinds = [event["type"] for event in sent]
    assert kinds.index("REASONING_END") < kinds.index("TEXT_MESSAGE_START")


def test_a_chunk_without_reasoning_makes_no_reasoning_events() -> None:
    events: list[Any] = EventTranslator().message_chunk(AIMessageChunk(content="hi", id="m1"))
    assert [event.type.value for event in events] == ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT"]
