"""CopilotRuntime: the user's configuration object: actions, model and agents by id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ag_ui.core import BaseEvent, RunAgentInput
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.pregel import Pregel
from langgraph.types import Durability

from copilot_runtime.actions import ActionContext, ActionLimits, ActionSource
from copilot_runtime.actions.limits import DEFAULT_THREADS as DEFAULT_ACTION_THREADS
from copilot_runtime.actions.limits import DEFAULT_TIMEOUT as DEFAULT_ACTION_TIMEOUT
from copilot_runtime.graphs import (
    Agent,
    GraphAgent,
    ModelOptions,
    ThreadSnapshot,
    chat_model_from_spec,
    new_uuid,
)
from copilot_runtime.graphs.interrupts import InterruptDialect
from copilot_runtime.graphs.silence import DEFAULT_MODEL_TIMEOUT

DEFAULT_AGENT_ID = "default"

UserResolver = Callable[[ActionContext], str | None]
"""Returns the id of the user a request comes from (verify it: e.g. decode its token)."""


@runtime_checkable
class ServedAgent(Protocol):
    """What the HTTP layer needs from an agent: the built-in `Agent`, a `GraphAgent`, or a
    user's own object with these members. Every run is made through `run` (app/streaming.py)."""

    description: str

    def run(
        self, run_input: RunAgentInput, context: ActionContext | None = None
    ) -> AsyncIterator[BaseEvent]:
        """Stream one run as AG-UI events, RUN_STARTED first and RUN_FINISHED or RUN_ERROR
        last. What it raises before its first event is answered as an HTTP error."""
        ...

    async def thread_snapshot(self, thread_id: str) -> ThreadSnapshot | None:
        """The stored thread, if the agent keeps threads."""
        ...

    async def delete_thread(self, thread_id: str) -> None:
        """Forget the thread's checkpoints."""
        ...


class CopilotRuntime:
    """Everything a server serves: agents by id, with the actions on the default agent.

    Example:
        runtime = CopilotRuntime(actions=my_actions)            # list or generator
        runtime = CopilotRuntime(actions=my_actions, agents={"research": my_compiled_graph})
    """

    def __init__(
        self,
        *,
        actions: ActionSource = (),
        agents: Mapping[str, ServedAgent | Pregel[Any, Any, Any, Any]] | None = None,
        model: BaseChatModel | str | None = None,
        model_options: ModelOptions | None = None,
        instructions: str | None = None,
        max_steps: int = 25,
        durability: Durability = "sync",
        identify_user: UserResolver | None = None,
        new_id: Callable[[], str] = new_uuid,
        model_timeout: float | None = DEFAULT_MODEL_TIMEOUT,
        action_timeout: float | None = DEFAULT_ACTION_TIMEOUT,
        action_threads: int = DEFAULT_ACTION_THREADS,
        interrupts: InterruptDialect = "custom",
    ) -> None:
        """Create a runtime.

        Args:
            actions: Backend actions of the default agent: a list, or a generator called per
                request with its ActionContext.
            agents: More agents by id: an Agent, a GraphAgent, or any compiled LangGraph graph
                with a `messages` channel. An entry "default" replaces the built-in agent.
            model: A chat model, a "provider:model" string, "demo", or None (from the
                environment: OpenAI when OPENAI_API_KEY is set, else the offline demo model).
            model_options: Temperature, timeout and retries of a model named by `model`.
            instructions: The default agent's system prompt.
            max_steps: Model steps per run before the run ends with RUN_ERROR.
            durability: When runs write their steps to the checkpointer: "sync" (each before
                the next, the default: a killed process loses no finished step), "async", or
                "exit" (once per run: the fewest writes, but a killed process loses the run).
            new_id: Id source for the tool-result messages of the built-in agent.
            identify_user: Who is asking (from the request's ActionContext: headers, properties),
                so that each user reaches only their own threads; None: one shared namespace.
            model_timeout: Seconds a model call may send nothing (before its first chunk or
                between two) before the run ends with RUN_ERROR MODEL_TIMEOUT; None: no limit.
            action_timeout: Seconds a handler may take unless its action sets `timeout`;
                past it the model reads a "timed out" error result. None: no limit.
            action_threads: Threads for sync handlers and sync actions generators.
            interrupts: How the compiled graphs given in `agents` announce the interrupts
                they stop at: "custom" (a CUSTOM on_interrupt event each, as CopilotKit's
                `useLangGraphInterrupt` reads them), "outcome" (AG-UI's RUN_FINISHED
                interrupt outcome) or "both". A GraphAgent keeps its own setting.
        """
        self.identify_user = identify_user
        self.actions = actions
        """The runtime's own actions (the default agent's), as given: also offered to Node
        runtimes through the remote-endpoint protocol."""
        self.action_limits = ActionLimits(timeout=action_timeout, threads=action_threads)
        """The actions' default timeout and the threads of sync handlers and generators."""
        self.is_attached = False
        """Whether an endpoint serves this runtime (its agents keep one set of threads)."""
        if isinstance(model, BaseChatModel):
            chat_model, self.model_label, self.is_offline_demo = model, type(model).__name__, False
        else:
            choice = chat_model_from_spec(model or None, options=model_options)
            chat_model, self.model_label = choice.model, choice.label
            self.is_offline_demo = choice.is_offline_demo
        self.agents: dict[str, ServedAgent] = {}
        if agents is None or DEFAULT_AGENT_ID not in agents:
            self.agents[DEFAULT_AGENT_ID] = Agent(
                actions=actions,
                model=chat_model,
                instructions=instructions,
                max_steps=max_steps,
                durability=durability,
                description="The default agent with the runtime's backend actions.",
                new_id=new_id,
                model_timeout=model_timeout,
                action_limits=self.action_limits,
            )
        for agent_id, agent in (agents or {}).items():
            self.agents[agent_id] = _served(agent, max_steps, durability, model_timeout, interrupts)

    def owner(self, context: ActionContext) -> str:
        """The thread owner for a request ("" when users are not identified)."""
        return (self.identify_user(context) if self.identify_user else None) or ""

    def use_checkpointer(self, checkpointer: BaseCheckpointSaver[Any]) -> None:
        """Give the built-in agents a place to keep threads (user graphs keep their own)."""
        for agent in self.agents.values():
            if isinstance(agent, Agent):
                agent.use_checkpointer(checkpointer)


def _served(
    agent: ServedAgent | Pregel[Any, Any, Any, Any],
    max_steps: int,
    durability: Durability,
    model_timeout: float | None,
    interrupts: InterruptDialect,
) -> ServedAgent:
    if isinstance(agent, Pregel):
        return GraphAgent(
            agent,
            max_steps=max_steps,
            durability=durability,
            model_timeout=model_timeout,
            interrupts=interrupts,
        )
    if not isinstance(agent, ServedAgent):
        raise TypeError(f"{agent!r} is neither an agent nor a compiled LangGraph graph")
    return agent
