"""What a connect to a busy thread sends before the run's events: nothing of the run twice."""

from __future__ import annotations

from ag_ui.core import (
    AssistantMessage,
    Message,
    TextMessageStartEvent,
    ToolMessage,
    UserMessage,
)

from copilot_runtime.app.joined_run import messages_before_run

HISTORY: list[Message] = [
    UserMessage(id="u0", role="user", content="before"),
    AssistantMessage(id="a0", role="assistant", content="earlier answer"),
    UserMessage(id="u1", role="user", content="now"),
]


def test_the_steps_the_run_stored_already_are_left_to_its_events() -> None:
    stored = [
        *HISTORY,
        AssistantMessage(id="a1", role="assistant", content="step one"),
        ToolMessage(id="tool1", role="tool", content="42", tool_call_id="c1"),
    ]
    assert messages_before_run(stored, HISTORY[-1], []) == HISTORY


def test_a_run_that_has_only_just_started_is_shown_with_its_question() -> None:
    question = UserMessage(id="u2", role="user", content="not stored yet")
    assert messages_before_run(HISTORY, question, []) == [*HISTORY, question]


def test_without_its_anchor_stored_the_messages_its_events_make_are_left_out() -> None:
    stored = [*HISTORY, AssistantMessage(id="a1", role="assistant", content="step one")]
    events = [TextMessageStartEvent(message_id="a1", role="assistant")]
    assert messages_before_run(stored, None, events) == HISTORY
