"""Interrupt and resume of a user's graph as the published @ag-ui/client sees them: one
HttpAgent across the runs of a thread (tests/node/agui_interrupts.mjs), its own verification
on, so every event of every run must be one it accepts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import interrupt

from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.graphs.interrupts import InterruptDialect
from copilot_runtime.testing import serve

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


class Booking(MessagesState):
    seat: str


def booking_graph() -> Any:
    """Asks for a seat, then books it; a cancelled question books nothing."""

    def ask(state: Booking) -> dict[str, Any]:
        seat = interrupt({"question": "Which seat?", "reason": "choose_seat"})
        if isinstance(seat, dict) and seat.get("__agui_cancelled__"):
            return {"seat": "none", "messages": [AIMessage(content="Cancelled.", id="cancel")]}
        return {"seat": str(seat), "messages": [AIMessage(content=f"Seat {seat}.", id="book")]}

    graph = StateGraph(Booking).add_node("ask", ask).add_edge(START, "ask")
    return graph.compile(checkpointer=InMemorySaver())


async def drive(
    dialect: InterruptDialect, steps: list[dict[str, Any]], tmp_path: Path
) -> dict[str, Any]:
    """The scenario's runs against a server of `booking_graph`, from Node."""
    if not (NODE_DIR / "node_modules").is_dir():
        pytest.fail("run `npm ci --prefix tests/node` first: the client conformance tests need it")
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"threadId": f"booking-{dialect}", "steps": steps}))
    runtime = CopilotRuntime(agents={"booking": booking_graph()}, interrupts=dialect)
    async with serve(runtime) as url:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_DIR / "agui_interrupts.mjs"),
            f"{url}/api/copilotkit/agent/booking/run",
            str(scenario),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()[-4000:]
    result: dict[str, Any] = json.loads(out)
    return result


def contents(result: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(m["role"], m.get("content")) for m in result["messages"]]


async def test_the_client_resumes_an_interrupt_outcome_by_id(tmp_path: Path) -> None:
    result = await drive("outcome", [{"say": "book a seat"}, {"resolve": "12A"}], tmp_path)
    first, second = result["runs"]
    [pending] = first["pendingInterrupts"]
    assert (pending["reason"], pending["metadata"]["value"]["question"]) == (
        "choose_seat",
        "Which seat?",
    )
    assert second["pendingInterrupts"] == []
    assert result["state"] == {"seat": "12A"}
    assert contents(result) == [("user", "book a seat"), ("assistant", "Seat 12A.")]


async def test_the_client_resumes_an_on_interrupt_event_with_its_command(
    tmp_path: Path,
) -> None:
    steps = [{"say": "book a seat"}, {"legacyResume": "3C"}]
    result = await drive("custom", steps, tmp_path)
    first, _second = result["runs"]
    [announced] = [e for e in first["events"] if e["type"] == "CUSTOM"]
    assert json.loads(announced["value"])["question"] == "Which seat?"
    assert first["pendingInterrupts"] == []  # this dialect leaves the outcome out
    assert result["state"] == {"seat": "3C"}
    assert contents(result)[-1] == ("assistant", "Seat 3C.")


async def test_the_thread_goes_on_after_a_cancelled_interrupt(tmp_path: Path) -> None:
    steps: list[dict[str, Any]] = [
        {"say": "book a seat"},
        {"cancel": True},
        {"say": "book again"},
        {"resolve": "1F"},
    ]
    result = await drive("both", steps, tmp_path)
    assert [len(run["pendingInterrupts"]) for run in result["runs"]] == [1, 0, 1, 0]
    assert result["state"] == {"seat": "1F"}
    assert contents(result) == [
        ("user", "book a seat"),
        ("assistant", "Cancelled."),
        ("user", "book again"),
        ("assistant", "Seat 1F."),
    ]
