"""A thread's checkpoints (LangGraph's state history), and runs forked or replayed from one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from ag_ui.core import BaseEvent, Message, RunAgentInput
from langchain_core.messages import BaseMessage
from langgraph.types import StateSnapshot
from pydantic import JsonValue

from copilot_runtime.actions import ActionContext
from copilot_runtime.graphs.agent import Agent
from copilot_runtime.graphs.fast_paths import fast_paths_enabled
from copilot_runtime.graphs.graph_agent import GraphAgent
from copilot_runtime.graphs.messages import langchain_messages
from copilot_runtime.graphs.run import GraphRun, run_agent
from copilot_runtime.graphs.table import Table


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadCheckpoint:
    """One saved state of a thread."""

    checkpoint_id: str
    parent_checkpoint_id: str | None
    step: int
    """LangGraph's step counter: -1 for the input, then one per superstep (model, tools)."""
    source: str
    """"input", "loop" (a node ran), "update" or "fork"."""
    created_at: str
    next: tuple[str, ...]
    """The nodes that run next from here; empty when the run had ended."""
    messages: tuple[BaseMessage, ...]

    @property
    def last_message(self) -> str:
        """The newest message, shortened, e.g. "ai: It is sunny." or "ai: calls getWeather"."""
        if not self.messages:
            return ""
        message = self.messages[-1]
        calls = getattr(message, "tool_calls", None) or []
        text = message.text or ("calls " + ", ".join(c["name"] for c in calls) if calls else "")
        return f"{message.type}: {text[:80]}"

    def row(self) -> dict[str, JsonValue]:
        """The checkpoint as one table row."""
        return {
            "checkpoint_id": self.checkpoint_id,
            "step": self.step,
            "source": self.source,
            "next": ", ".join(self.next),
            "messages": len(self.messages),
            "last_message": self.last_message,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class ThreadHistory(Sequence[ThreadCheckpoint]):
    """A thread's checkpoints, oldest first; shows itself as a table in Jupyter."""

    checkpoints: tuple[ThreadCheckpoint, ...]

    def __len__(self) -> int:
        return len(self.checkpoints)

    def __getitem__(self, index: Any) -> Any:
        return self.checkpoints[index]

    def __iter__(self) -> Iterator[ThreadCheckpoint]:
        return iter(self.checkpoints)

    def table(self) -> Table:
        """One row per checkpoint."""
        return Table(checkpoint.row() for checkpoint in self.checkpoints)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


async def thread_history(agent: Agent | GraphAgent, thread_id: str) -> ThreadHistory:
    """Every checkpoint of the thread, oldest first (empty without a checkpointer)."""
    if agent.graph.checkpointer is None:
        return ThreadHistory(())
    config: Any = {"configurable": {"thread_id": thread_id}}
    snapshots = [snapshot async for snapshot in agent.graph.aget_state_history(config)]
    return ThreadHistory(tuple(_checkpoint(s) for s in reversed(snapshots)))


def _checkpoint(snapshot: StateSnapshot) -> ThreadCheckpoint:
    values = snapshot.values if isinstance(snapshot.values, dict) else {}
    metadata: Any = snapshot.metadata or {}
    parent = (snapshot.parent_config or {}).get("configurable", {}).get("checkpoint_id")
    return ThreadCheckpoint(
        checkpoint_id=str(snapshot.config.get("configurable", {}).get("checkpoint_id")),
        parent_checkpoint_id=parent if isinstance(parent, str) else None,
        step=int(metadata.get("step", -1)),
        source=str(metadata.get("source", "")),
        created_at=snapshot.created_at or "",
        next=tuple(snapshot.next),
        messages=tuple(values.get("messages") or ()),
    )


async def fork_events(
    agent: Agent,
    run_input: RunAgentInput,
    context: ActionContext,
    checkpoint_id: str,
    new_messages: Sequence[Message] | None,
) -> AsyncIterator[BaseEvent]:
    """Run from a checkpoint: with new messages a fork (a new branch of the thread), without
    them a replay (the nodes that were next at that checkpoint run again).

    The earlier checkpoints stay; the thread's latest state becomes this run's end.
    """
    graph_input = {"messages": langchain_messages(new_messages)} if new_messages else None
    graph_run = GraphRun(
        thread_id=run_input.thread_id,
        run_id=run_input.run_id,
        graph_input=graph_input,
        context=await agent.run_context(run_input, context),
        max_steps=agent.max_steps,
        durability=agent.durability,
        configurable={"checkpoint_id": checkpoint_id},
        direct_tokens=fast_paths_enabled(),
    )
    async with aclosing(run_agent(agent.graph, graph_run)) as events:
        async for event in events:
            yield event
