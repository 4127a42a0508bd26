"""stream_problems finds what the published client rejects, and what one run's stream owes it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ag_ui.core import RunFinishedEvent, RunStartedEvent, TextMessageContentEvent

from copilot_runtime.testing import stream_problems

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
IDS = {"threadId": "t1", "runId": "r1"}
START = {"type": "RUN_STARTED", **IDS}
FINISH = {"type": "RUN_FINISHED", **IDS}
ERROR = {"type": "RUN_ERROR", "message": "failed"}


def text(message_id: str = "m1", delta: str = "Hi") -> list[dict[str, Any]]:
    return [
        {"type": "TEXT_MESSAGE_START", "messageId": message_id, "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": message_id, "delta": delta},
        {"type": "TEXT_MESSAGE_END", "messageId": message_id},
    ]


def tool_call(call_id: str = "c1") -> list[dict[str, Any]]:
    return [
        {"type": "TOOL_CALL_START", "toolCallId": call_id, "toolCallName": "lookup"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": call_id, "delta": '{"id": 7}'},
        {"type": "TOOL_CALL_END", "toolCallId": call_id},
    ]


def result(call_id: str = "c1") -> dict[str, Any]:
    return {"type": "TOOL_CALL_RESULT", "messageId": f"r-{call_id}", "toolCallId": call_id,
            "content": "ok", "role": "tool"}  # fmt: skip


# name -> (events, a problem the kit reports, or None for a valid stream)
CASES: dict[str, tuple[list[dict[str, Any]], str | None]] = {
    "text and a tool call": ([START, *tool_call(), result(), *text(), FINISH], None),
    "a run that fails with things open": ([START, text()[0], tool_call()[0], ERROR], None),
    "a run that fails before starting": ([ERROR], None),
    "two runs one after the other": ([START, *text(), FINISH, START, *text("m2"), FINISH], None),
    "chunks, closed by the next message": (
        [
            START,
            {"type": "TEXT_MESSAGE_CHUNK", "messageId": "m1", "delta": "Hel"},
            {"type": "TEXT_MESSAGE_CHUNK", "delta": "lo"},
            {"type": "TOOL_CALL_CHUNK", "toolCallId": "c1", "toolCallName": "x", "delta": "{}"},
            {"type": "REASONING_MESSAGE_CHUNK", "messageId": "rm1", "delta": "hmm"},
            FINISH,
        ],
        None,
    ),
    "reasoning, steps and a subagent": (
        [
            START,
            {"type": "STEP_STARTED", "stepName": "model"},
            {"type": "REASONING_START", "messageId": "rs1"},
            {"type": "REASONING_MESSAGE_START", "messageId": "rm1", "role": "reasoning"},
            {"type": "REASONING_MESSAGE_CONTENT", "messageId": "rm1", "delta": "thinking"},
            {"type": "REASONING_MESSAGE_END", "messageId": "rm1"},
            {"type": "REASONING_END", "messageId": "rs1"},
            {"type": "STEP_FINISHED", "stepName": "model"},
            {"type": "SUBAGENT_STARTED", "subagentRunId": "s1", "name": "helper"},
            {**text("m9")[0], "subagentRunId": "s1"},
            {**text("m9")[1], "subagentRunId": "s1"},
            {**text("m9")[2], "subagentRunId": "s1"},
            {"type": "SUBAGENT_FINISHED", "subagentRunId": "s1"},
            FINISH,
        ],
        None,
    ),
    "a result for a call in the run's input": (
        [
            {
                **START,
                "input": {
                    **IDS,
                    "state": {},
                    "tools": [],
                    "context": [],
                    "forwardedProps": {},
                    "messages": [
                        {
                            "id": "a1",
                            "role": "assistant",
                            "toolCalls": [
                                {
                                    "id": "c7",
                                    "type": "function",
                                    "function": {"name": "x", "arguments": "{}"},
                                }
                            ],
                        }
                    ],
                },
            },
            result("c7"),
            FINISH,
        ],
        None,
    ),
    "the first event is not RUN_STARTED": ([*text(), FINISH], "must be RUN_STARTED"),
    "RUN_STARTED twice": ([START, START, FINISH], "already under way"),
    "an event after RUN_FINISHED": ([START, FINISH, *text()], "after RUN_FINISHED"),
    "an event after RUN_ERROR": ([START, ERROR, *text()], "after RUN_ERROR"),
    "content before its start": ([START, text()[1], FINISH], "no text message 'm1' is open"),
    "a message started twice": ([START, text()[0], *text(), FINISH], "'m1' is already open"),
    "args after the call ended": (
        [START, *tool_call(), tool_call()[1], FINISH],
        "no tool call 'c1' is open",
    ),
    "RUN_FINISHED with a message open": ([START, text()[0], FINISH], "text message is still"),
    "RUN_FINISHED with a call open": ([START, tool_call()[0], FINISH], "tool call is still"),
    "RUN_FINISHED with a step open": (
        [START, {"type": "STEP_STARTED", "stepName": "s"}, FINISH],
        "step is still running",
    ),
    "a step finished but never started": (
        [START, {"type": "STEP_FINISHED", "stepName": "s"}, FINISH],
        "was not started",
    ),
    "a reasoning message never opened": (
        [START, {"type": "REASONING_MESSAGE_CONTENT", "messageId": "x", "delta": "y"}, FINISH],
        "no reasoning message 'x' is open",
    ),
    "RUN_FINISHED with reasoning open": (
        [START, {"type": "REASONING_START", "messageId": "rs"}, FINISH],
        "reasoning span is still open",
    ),
    "a subagent that never started": (
        [START, {"type": "SUBAGENT_FINISHED", "subagentRunId": "s1"}, FINISH],
        "no subagent 's1' is running",
    ),
    "a subagent id used twice": (
        [
            START,
            {"type": "SUBAGENT_STARTED", "subagentRunId": "s1", "name": "a"},
            {"type": "SUBAGENT_FINISHED", "subagentRunId": "s1"},
            {"type": "SUBAGENT_STARTED", "subagentRunId": "s1", "name": "a"},
            {"type": "SUBAGENT_FINISHED", "subagentRunId": "s1"},
            FINISH,
        ],
        "ids are not reused",
    ),
    "content from another subagent": (
        [START, text()[0], {**text()[1], "subagentRunId": "s9"}, text()[2], FINISH],
        "subagentRunId 's9' is not the one",
    ),
    "a first chunk without an id": (
        [START, {"type": "TEXT_MESSAGE_CHUNK", "delta": "x"}, FINISH],
        "needs messageId",
    ),
    "a first tool chunk without a name": (
        [START, {"type": "TOOL_CALL_CHUNK", "toolCallId": "c1", "delta": "{}"}, FINISH],
        "needs a toolCallId and a toolCallName",
    ),
    "a chunk continuing a message opened by START": (
        [START, text()[0], {"type": "TEXT_MESSAGE_CHUNK", "messageId": "m1", "delta": "x"}, FINISH],
        "'m1' is already open",
    ),
    "a required field missing": (
        [START, {"type": "TOOL_CALL_START", "toolCallId": "c1"}, FINISH],
        "toolCallName does not match the AG-UI schema",
    ),
    "an unknown event type": ([START, {"type": "THINKING_START"}, FINISH], "not an AG-UI event"),
    "a null optional field": (
        [START, {**tool_call()[0], "parentMessageId": None}, *tool_call()[1:], FINISH],
        "parentMessageId is null",
    ),
}
# What the kit asks of a run's stream beyond what @ag-ui/client's verifier enforces.
KIT_ONLY: dict[str, tuple[list[dict[str, Any]], str]] = {
    "no events at all": ([], "no events"),
    "a stream cut before the end": ([START, *text()], "ends without RUN_FINISHED or RUN_ERROR"),
    "RUN_ERROR after RUN_FINISHED": ([START, FINISH, ERROR], "after RUN_FINISHED"),
    "a result for a call never announced": ([START, result("c9"), FINISH], "never announced"),
    "a result before its call ended": (
        [START, *tool_call()[:2], result(), tool_call()[2], FINISH],
        "before that call's TOOL_CALL_END",
    ),
    "two results for one call": ([START, *tool_call(), result(), result(), FINISH], "already"),
    "an empty text delta": ([START, *text(delta=""), FINISH], "the delta is empty"),
}


@pytest.mark.parametrize(("events", "expected"), CASES.values(), ids=CASES.keys())
def test_problems_name_the_rule_broken(events: list[dict[str, Any]], expected: str | None) -> None:
    problems = stream_problems(events)
    if expected is None:
        assert problems == []
    else:
        assert len(problems) >= 1
        assert expected in problems[0]


@pytest.mark.parametrize(("events", "expected"), KIT_ONLY.values(), ids=KIT_ONLY.keys())
def test_kit_checks_what_one_runs_stream_owes_its_client(
    events: list[dict[str, Any]], expected: str
) -> None:
    assert expected in stream_problems(events)[0]


def test_problems_name_the_event_by_position_and_type() -> None:
    assert stream_problems([START, text()[1], FINISH]) == [
        "event 1 (TEXT_MESSAGE_CONTENT): no text message 'm1' is open (it needs a "
        "TEXT_MESSAGE_START first)"
    ]


def test_ag_ui_event_objects_are_checked_as_their_json() -> None:
    events = [
        RunStartedEvent(thread_id="t1", run_id="r1"),
        TextMessageContentEvent(message_id="m1", delta="Hi"),
        RunFinishedEvent(thread_id="t1", run_id="r1"),
    ]
    assert stream_problems(events) == [
        "event 1 (TEXT_MESSAGE_CONTENT): no text message 'm1' is open (it needs a "
        "TEXT_MESSAGE_START first)"
    ]


def test_verdicts_agree_with_the_published_clients_verifier(tmp_path: Path) -> None:
    """Every case the kit calls valid, @ag-ui/client 1.0.0 accepts; every client rule the kit
    reports, the client rejects; the kit's own rules are ones the client lets through."""
    if not (NODE_DIR / "node_modules").is_dir():
        pytest.fail("run `npm ci --prefix tests/node` first: this test drives @ag-ui/client")
    cases = {name: events for name, (events, _) in {**CASES, **KIT_ONLY}.items()}
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        ["node", str(NODE_DIR / "verify_events.mjs"), str(tmp_path / "cases.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    verdicts: dict[str, str | None] = json.loads(done.stdout)
    client_rejects = {name for name, verdict in verdicts.items() if verdict is not None}
    kit_rejects = {name for name, events in cases.items() if stream_problems(events)}
    assert client_rejects == kit_rejects - KIT_ONLY.keys()
    assert client_rejects.isdisjoint(KIT_ONLY)
