"""Agent: actions, model and a compiled graph; run() streams one request as AG-UI events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from functools import partial
from typing import Any

from ag_ui.core import BaseEvent, RunAgentInput
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, SystemMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Durability
from pydantic import JsonValue

from copilot_runtime.actions import (
    ActionContext,
    ActionLimits,
    ActionSource,
    resolve_actions,
    tool_from_action,
)
from copilot_runtime.actions.limits import default_limits
from copilot_runtime.graphs.build import AgentGraph, build_graph
from copilot_runtime.graphs.channel import EventSink, launched
from copilot_runtime.graphs.context import FrontendTool, RunContext
from copilot_runtime.graphs.fast_paths import fast_paths_enabled
from copilot_runtime.graphs.history import reconcile, split_instructions
from copilot_runtime.graphs.messages import langchain_messages
from copilot_runtime.graphs.models import chat_model_from_spec
from copilot_runtime.graphs.run import GraphRun, launch_run
from copilot_runtime.graphs.silence import DEFAULT_MODEL_TIMEOUT
from copilot_runtime.graphs.snapshot import ThreadSnapshot, read_snapshot

DEFAULT_MAX_STEPS = 25


def new_uuid() -> str:
    """A fresh random id (the default id source)."""
    return str(uuid.uuid4())


class Agent:
    """The default CopilotKit agent: backend actions as tools, run by the agent graph.

    The graph is compiled once here; every request brings its own actions (the generator is
    called per request), frontend tools, readables and state through a RunContext, so one Agent
    serves concurrent requests without sharing per-request state.
    """

    def __init__(
        self,
        *,
        actions: ActionSource = (),
        model: BaseChatModel | None = None,
        instructions: str | None = None,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        durability: Durability = "sync",
        description: str = "",
        new_id: Callable[[], str] = new_uuid,
        model_timeout: float | None = DEFAULT_MODEL_TIMEOUT,
        action_limits: ActionLimits | None = None,
    ) -> None:
        """Create an agent.

        Args:
            actions: A list of actions (Action objects or CopilotKit-shaped dicts), or a
                generator called with each request's ActionContext.
            model: The chat model; None picks one from the environment (demo when nothing is set).
            instructions: The system prompt.
            checkpointer: Where threads are kept; None keeps nothing between runs.
            max_steps: Model steps one run may take before it ends with RUN_ERROR.
            durability: When a run's steps are written to the checkpointer (GraphRun).
            description: Shown to clients in runtime info.
            new_id: Makes ids for tool-result messages.
            model_timeout: Seconds a model call may send nothing (before its first chunk or
                between two) before the run ends with RUN_ERROR MODEL_TIMEOUT; None: no limit.
            action_limits: The handlers' default timeout and the threads of sync handlers
                and generators (shared by a runtime's agents); None: `default_limits()`.
        """
        if max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        self.actions = actions
        self.model = model if model is not None else chat_model_from_spec().model
        self.instructions = instructions
        self.max_steps = max_steps
        self.durability = durability
        self.description = description
        self.new_id = new_id
        self.model_timeout = model_timeout
        self.action_limits = action_limits or default_limits()
        self.graph: AgentGraph = build_graph(checkpointer)

    def use_checkpointer(self, checkpointer: BaseCheckpointSaver[Any]) -> None:
        """Keep threads in `checkpointer` from now on (called once, when a server starts)."""
        self.graph = build_graph(checkpointer)

    async def thread_snapshot(self, thread_id: str) -> ThreadSnapshot | None:
        """The stored thread (messages and shared state), or None when it is unknown."""
        return await read_snapshot(self.graph, thread_id, state_key="state")

    async def delete_thread(self, thread_id: str) -> None:
        """Forget the thread's checkpoints."""
        if isinstance(self.graph.checkpointer, BaseCheckpointSaver):
            await self.graph.checkpointer.adelete_thread(thread_id)

    def run(
        self, run_input: RunAgentInput, context: ActionContext | None = None
    ) -> AsyncIterator[BaseEvent]:
        """Stream one run. The actions are resolved before RUN_STARTED.

        So a bad declaration (ActionDefinitionError) or a failing generator raises from the
        first `anext()`, before anything is sent; failures after that become RUN_ERROR.
        """
        return launched(partial(self._launch, run_input, context))

    async def _launch(
        self,
        run_input: RunAgentInput,
        context: ActionContext | None,
        channel: EventSink[BaseEvent],
    ) -> asyncio.Task[None]:
        """Resolve the run's actions and inputs, then start it in a task that fills `channel`."""
        context = context or ActionContext(thread_id=run_input.thread_id)
        instructions, graph_input = await self.inputs(run_input)
        run_context = await self.run_context(run_input, context, instructions)
        graph_run = GraphRun(
            thread_id=run_input.thread_id,
            run_id=run_input.run_id,
            graph_input=graph_input,
            context=run_context,
            max_steps=self.max_steps,
            durability=self.durability,
            direct_tokens=fast_paths_enabled(),
            model_timeout=self.model_timeout,
            on_chunk=run_context.arguments.observe,
        )
        return launch_run(self.graph, graph_run, channel)

    async def inputs(self, run_input: RunAgentInput) -> tuple[list[SystemMessage], dict[str, Any]]:
        """The client's instructions, and the graph's input: the client's history reconciled
        with the stored thread (read first, so re-sent messages it holds are not built again),
        and the client's state."""
        stored: list[BaseMessage] = []
        if self.graph.checkpointer is not None:
            snapshot = await self.graph.aget_state(
                {"configurable": {"thread_id": run_input.thread_id}}
            )
            stored = list(snapshot.values.get("messages", [])) if snapshot.values else []
        instructions, conversation = split_instructions(
            langchain_messages(run_input.messages, known=stored)
        )
        values: dict[str, Any] = {"messages": reconcile(stored, conversation)}
        if isinstance(run_input.state, dict):
            values["state"] = run_input.state
        return instructions, values

    async def run_context(
        self,
        run_input: RunAgentInput,
        context: ActionContext,
        instructions: Sequence[SystemMessage] = (),
    ) -> RunContext:
        """The request-scoped inputs of one run: its tools, readables and forced tool choice."""
        actions = await resolve_actions(self.actions, context, self.action_limits)
        tools = tuple(tool_from_action(action, context, self.action_limits) for action in actions)
        backend_names = {action.name for action in actions}
        frontend = tuple(
            FrontendTool(
                name=tool.name,
                description=tool.description,
                parameters=tool.parameters
                if isinstance(tool.parameters, dict)
                else {"type": "object"},
            )
            for tool in run_input.tools or ()
            if tool.name not in backend_names  # a backend action of the same name wins
        )
        return RunContext(
            model=self.model,
            tools=tools,
            frontend_tools=frontend,
            instructions=self.instructions,
            client_instructions=tuple(instructions),
            readables=tuple((entry.description, entry.value) for entry in run_input.context or ()),
            tool_choice=forced_tool_choice(run_input.forwarded_props),
            new_id=self.new_id,
        )


def forced_tool_choice(forwarded_props: JsonValue | Any) -> str | None:
    """`forwardedProps.toolChoice` as CopilotKit sends it for suggestions, if any."""
    if not isinstance(forwarded_props, Mapping):
        return None
    choice = forwarded_props.get("toolChoice")
    if isinstance(choice, Mapping):
        function = choice.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return str(function["name"])
    if isinstance(choice, str) and choice not in ("auto", "none"):
        return choice
    return None
