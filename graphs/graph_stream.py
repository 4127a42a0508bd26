"""GraphStreamReader: everything a user's graph streams, as AG-UI events.

The graph is streamed with its subgraphs, in the modes that carry what a client can see:
`messages` (tokens and reasoning, with each model call's `copilotkit_customize_config`
switches), `values` (the state after each step: new messages, once each, whether a node
wrote them as messages or dicts, and state events), `custom` (custom events), `tasks` (one
step per node run) and `updates` (interrupts of a graph without a checkpointer). A message the
thread or the request already held is never sent again, however a node returns its list
(`state["messages"] + [new]` included). When the run ends well: its state and messages as
snapshots, then the interrupts it stopped at (graphs/interrupts.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ag_ui.core import (
    BaseEvent,
    MessagesSnapshotEvent,
    RunFinishedInterruptOutcome,
    StateSnapshotEvent,
)
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.pregel import Pregel
from langgraph.types import Interrupt, StreamMode

from copilot_runtime.graphs.custom_events import (
    CustomEventRelay,
    ModelCallSwitches,
    custom_events,
    relayed_event,
)
from copilot_runtime.graphs.events import EventTranslator
from copilot_runtime.graphs.interrupts import InterruptDialect, announcement
from copilot_runtime.graphs.messages import agui_messages
from copilot_runtime.graphs.state_events import StateEvents, visible_state
from copilot_runtime.graphs.steps import NodeSteps
from copilot_runtime.graphs.usage import UsageTally

MODES: tuple[StreamMode, ...] = ("messages", "values", "custom", "tasks", "updates")
INTERRUPT_KEY = "__interrupt__"


class GraphStreamReader:
    """Reads one run's stream of a user graph (`graph.astream(..., subgraphs=True)`)."""

    modes: Sequence[StreamMode] = MODES

    def __init__(
        self,
        graph: Pregel[Any, Any, Any, Any],
        config: RunnableConfig,
        translator: EventTranslator,
        usage: UsageTally,
        *,
        dialect: InterruptDialect = "custom",
    ) -> None:
        self._graph = graph
        self._config = config
        self._translator = translator
        self._usage = usage
        self._dialect = dialect
        self._state = StateEvents()
        self._switches = ModelCallSwitches(self._state)
        self._steps = NodeSteps()
        self._seen: set[str] = set()
        self._values: Mapping[str, Any] | None = None
        self._interrupts: list[Interrupt] = []
        self.outcome: RunFinishedInterruptOutcome | None = None
        """RUN_FINISHED's outcome, once `finish` has found the run stopped at interrupts."""

    @property
    def failed_node(self) -> str | None:
        """The node that raised, when the run failed in one."""
        return self._steps.failed_node

    def callbacks(self) -> list[BaseCallbackHandler]:
        """The handlers the run's config needs (the custom-event relay)."""
        return [CustomEventRelay()]

    def read(self, namespace: tuple[str, ...], mode: str, payload: Any) -> list[BaseEvent]:
        """The events for one item of the stream."""
        match mode:
            case "messages":
                chunk, metadata = payload
                if not isinstance(chunk, AIMessageChunk):
                    return []  # a whole message a node wrote: its values bring it
                events = self._switches.chunk(chunk, metadata)
                return events + self._switches.shown(self._translator.message_chunk(chunk))
            case "values":
                return self._step_values(namespace, payload)
            case "custom":
                relayed = relayed_event(payload)
                return [] if relayed is None else custom_events(*relayed, self._state)
            case "tasks":
                return self._steps.task(payload)
            case "updates":
                if not namespace and isinstance(payload, Mapping):
                    self._interrupts += payload.get(INTERRUPT_KEY) or ()
        return []

    def _step_values(self, namespace: tuple[str, ...], values: Any) -> list[BaseEvent]:
        if not isinstance(values, Mapping):
            return []
        messages = [m for m in values.get("messages") or () if isinstance(m, BaseMessage)]
        if not namespace and self._values is None:
            # The run's starting point: what the thread and the request held is not news.
            self._seen.update(m.id for m in messages if m.id)
            self._translator.know(self._seen)
        new = [m for m in messages if m.id not in self._seen]
        self._seen.update(m.id for m in new if m.id)
        for message in new:
            if isinstance(message, AIMessage):
                self._usage.add(message)
        events = self._switches.shown(self._translator.messages_added(new))
        if not namespace:
            self._values = values
            events += self._state.graph_values(values)
        return events

    async def finish(self) -> list[BaseEvent]:
        """The run's state and messages as it ends, and how it announces its interrupts."""
        interrupts = self._interrupts
        if self._graph.checkpointer is not None:
            snapshot = await self._graph.aget_state(self._config)
            interrupts = list(snapshot.interrupts)
            if isinstance(snapshot.values, Mapping) and snapshot.values:
                self._values = snapshot.values
        events = self.close()
        if self._values is not None:
            events += [
                StateSnapshotEvent(snapshot=visible_state(self._values)),
                MessagesSnapshotEvent(messages=agui_messages(self._values.get("messages") or [])),
            ]
        told = announcement(interrupts, self._dialect)
        self.outcome = told.outcome
        return events + told.events

    def close(self) -> list[BaseEvent]:
        """End what is open: text, tool calls, reasoning, steps."""
        return self._switches.shown(self._translator.close()) + self._steps.close()
