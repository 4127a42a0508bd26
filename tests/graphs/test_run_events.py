"""The AG-UI event stream of whole runs, asserted event by event."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import ToolMessage

from copilot_runtime.actions import Action, Parameter
from copilot_runtime.graphs import Agent
from copilot_runtime.testing import ScriptedChatModel
from tests.fakes import answer, calls, seq_ids, tool_args, types
from tests.graphs.conftest import FETCH, SAY_HELLO, collect, run_input


async def test_run_streams_text_when_model_answers_plainly() -> None:
    model = ScriptedChatModel([answer("Hello there", id="m1")])
    events = await collect(Agent(model=model), run_input("hi"))
    assert events == [
        {"type": "RUN_STARTED", "threadId": "t1", "runId": "r1"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m1", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "Hello "},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "there"},
        {"type": "TEXT_MESSAGE_END", "messageId": "m1"},
        {"type": "RUN_FINISHED", "threadId": "t1", "runId": "r1"},
    ]


async def test_run_executes_backend_action_and_answers_in_same_run() -> None:
    model = ScriptedChatModel(
        [
            calls(("c1", "fetchNameForUserId", {"userId": "42"}), id="m1", text="Let me look."),
            answer("It is Darth Doe.", id="m2"),
        ]
    )
    agent = Agent(actions=[FETCH], model=model, new_id=seq_ids("tool"))
    events = await collect(agent, run_input("name of user 42?"))
    assert events == [
        {"type": "RUN_STARTED", "threadId": "t1", "runId": "r1"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m1", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "Let "},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "me "},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "look."},
        {"type": "TEXT_MESSAGE_END", "messageId": "m1"},
        {
            "type": "TOOL_CALL_START",
            "toolCallId": "c1",
            "toolCallName": "fetchNameForUserId",
            "parentMessageId": "m1",
        },
        # the arguments in the token-sized fragments a provider streams
        *(
            {"type": "TOOL_CALL_ARGS", "toolCallId": "c1", "delta": fragment}
            for fragment in ('{"', "userId", '":', ' "', "42", '"}')
        ),
        {"type": "TOOL_CALL_END", "toolCallId": "c1"},
        {
            "type": "TOOL_CALL_RESULT",
            "messageId": "tool-1",
            "toolCallId": "c1",
            "content": '{"name":"Darth Doe"}',
            "role": "tool",
        },
        {"type": "TEXT_MESSAGE_START", "messageId": "m2", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m2", "delta": "It "},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m2", "delta": "is "},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m2", "delta": "Darth "},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m2", "delta": "Doe."},
        {"type": "TEXT_MESSAGE_END", "messageId": "m2"},
        {"type": "RUN_FINISHED", "threadId": "t1", "runId": "r1"},
    ]
    # The model's second step saw the result under the call's id.
    result = model.requests[1].messages[-1]
    assert result.type == "tool"
    assert result.text == '{"name":"Darth Doe"}'


async def test_run_ends_with_frontend_call_and_no_result_when_model_calls_client_tool() -> None:
    model = ScriptedChatModel([calls(("c1", "sayHello", {"name": "Ada"}), id="m1")])
    events = await collect(Agent(model=model), run_input("greet Ada", tools=[SAY_HELLO]))
    assert types(events) == [
        "RUN_STARTED",
        "TOOL_CALL_START",
        *["TOOL_CALL_ARGS"] * 6,  # {" name ": " Ada "}
        "TOOL_CALL_END",
        "RUN_FINISHED",
    ]
    assert events[1]["parentMessageId"] == "m1"
    assert tool_args(events) == {"c1": {"name": "Ada"}}
    assert model.pending == 0  # called once: the client answers the call in its next run


async def test_run_runs_backend_calls_and_returns_frontend_calls_when_turn_mixes_them() -> None:
    handled: list[str] = []

    def record(userId: str) -> str:
        handled.append(userId)
        return "ok"

    action = Action(name="lookup", parameters=(Parameter(name="userId"),), handler=record)
    model = ScriptedChatModel(
        [calls(("c1", "lookup", {"userId": "7"}), ("c2", "sayHello", {"name": "Ada"}), id="m1")]
    )
    agent = Agent(actions=[action], model=model, new_id=seq_ids("tool"))
    events = await collect(agent, run_input("both", tools=[SAY_HELLO]))
    results = [e for e in events if e["type"] == "TOOL_CALL_RESULT"]
    assert handled == ["7"]
    assert [r["toolCallId"] for r in results] == ["c1"]
    assert events[-1]["type"] == "RUN_FINISHED"
    assert model.pending == 0  # the run ended instead of calling the model again


async def test_run_keeps_parallel_call_arguments_apart_when_chunks_interleave() -> None:
    model = ScriptedChatModel(
        [
            calls(
                ("a", "sayHello", {"name": "Ada Lovelace"}),
                ("b", "sayHello", {"name": "Grace Hopper"}),
                id="m1",
            )
        ]
    )
    events = await collect(Agent(model=model), run_input("greet both", tools=[SAY_HELLO]))
    assert tool_args(events) == {"a": {"name": "Ada Lovelace"}, "b": {"name": "Grace Hopper"}}
    starts = [e["toolCallId"] for e in events if e["type"] == "TOOL_CALL_START"]
    assert starts == ["a", "b"]


async def test_run_executes_parallel_backend_calls_concurrently() -> None:
    both_started = asyncio.Event()
    started: list[str] = []

    async def rendezvous(who: str) -> str:
        started.append(who)
        if len(started) == 2:
            both_started.set()
        # Sequential execution would wait here forever: the other call never starts.
        await asyncio.wait_for(both_started.wait(), timeout=5)
        return who

    action = Action(name="meet", parameters=(Parameter(name="who"),), handler=rendezvous)
    model = ScriptedChatModel(
        [
            calls(("a", "meet", {"who": "A"}), ("b", "meet", {"who": "B"}), id="m1"),
            answer("done", id="m2"),
        ]
    )
    events = await collect(Agent(actions=[action], model=model), run_input("meet"))
    contents = {e["toolCallId"]: e["content"] for e in events if e["type"] == "TOOL_CALL_RESULT"}
    assert contents == {"a": "A", "b": "B"}
    assert events[-1]["type"] == "RUN_FINISHED"


async def test_run_reports_error_result_and_continues_when_arguments_are_invalid() -> None:
    ran: list[Any] = []
    action = Action(
        name="setAge", parameters=(Parameter(name="age", type="number"),), handler=ran.append
    )
    model = ScriptedChatModel(
        [calls(("c1", "setAge", {"age": "forty"}), id="m1"), answer("Sorry.", id="m2")]
    )
    events = await collect(Agent(actions=[action], model=model), run_input("set age"))
    result = next(e for e in events if e["type"] == "TOOL_CALL_RESULT")
    assert result["content"].startswith("Error: invalid arguments for setAge: age:")
    assert ran == []  # the handler never saw the bad value
    assert events[-1]["type"] == "RUN_FINISHED"
    seen_result = model.requests[1].messages[-1]
    assert isinstance(seen_result, ToolMessage)
    assert seen_result.status == "error"


async def test_run_hides_exception_text_when_handler_crashes() -> None:
    def crash() -> None:
        raise RuntimeError("password=hunter2")

    model = ScriptedChatModel([calls(("c1", "crash", {}), id="m1"), answer("Hm.", id="m2")])
    agent = Agent(actions=[Action(name="crash", handler=crash)], model=model)
    events = await collect(agent, run_input("crash"))
    result = next(e for e in events if e["type"] == "TOOL_CALL_RESULT")
    assert "internal error" in result["content"]
    assert "hunter2" not in str(events)
    assert "hunter2" not in str([request.messages for request in model.requests])
    assert events[-1]["type"] == "RUN_FINISHED"


async def test_run_reports_unknown_tool_to_model_when_it_invents_a_name() -> None:
    model = ScriptedChatModel(
        [calls(("c1", "launchRocket", {}), id="m1"), answer("I cannot.", id="m2")]
    )
    agent = Agent(actions=[FETCH], model=model)
    events = await collect(agent, run_input("launch"))
    result = next(e for e in events if e["type"] == "TOOL_CALL_RESULT")
    assert result["content"] == (
        "Error: there is no tool named 'launchRocket'. Available tools: fetchNameForUserId."
    )
    assert events[-1]["type"] == "RUN_FINISHED"


async def test_run_ends_with_step_limit_error_when_model_loops() -> None:
    loop = [calls((f"c{i}", "fetchNameForUserId", {"userId": "1"}), id=f"m{i}") for i in range(10)]
    model = ScriptedChatModel(list(loop))
    agent = Agent(actions=[FETCH], model=model, max_steps=3)
    events = await collect(agent, run_input("loop"))
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["code"] == "STEP_LIMIT_EXCEEDED"
    assert "3 model steps" in events[-1]["message"]
    assert len(model.requests) == 3


async def test_run_ends_with_safe_run_error_when_model_fails() -> None:
    model = ScriptedChatModel([ConnectionError("api key sk-secret rejected")])
    events = await collect(Agent(model=model), run_input("hi"))
    assert events[-1] == {
        "type": "RUN_ERROR",
        "message": "The agent run failed because of an internal error; the server log has details.",
        "code": "INTERNAL_ERROR",
    }
    assert "sk-secret" not in str(events)


async def test_run_closes_open_message_before_run_error_when_model_fails_mid_answer() -> None:
    class Breaking(ScriptedChatModel):
        async def _astream(self, *args: Any, **kwargs: Any) -> Any:
            async for chunk in super()._astream(*args, **kwargs):
                yield chunk
                raise ConnectionError("socket closed")

    events = await collect(
        Agent(model=Breaking(steps=[answer("Half an answer", id="m1")])), run_input()
    )
    assert types(events) == [
        "RUN_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "RUN_ERROR",
    ]
