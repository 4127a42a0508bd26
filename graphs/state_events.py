"""StateEvents: a graph's client-visible state as STATE_SNAPSHOT, then STATE_DELTA events.

A client applies each delta (RFC 6902 JSON Patch) to what it holds, so the first event is a
snapshot, and each later one a patch from what was last sent, or a snapshot again when that
is shorter. The graph's own view and the client's can differ for a while: a predicted value
(graphs/custom_events.py) is sent before the node that writes it has run, and a step that
leaves the graph's state as it was must not take that prediction back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonpatch
from ag_ui.core import BaseEvent, StateDeltaEvent, StateSnapshotEvent
from langchain_core.load import dumpd

from copilot_runtime.graphs.graph_inputs import INTERNAL_KEYS


def visible_state(values: Mapping[str, Any]) -> dict[str, Any]:
    """The state a client sees: every channel but the internal ones (and LangGraph's own,
    such as the `__interrupt__` a graph without a checkpointer streams), as JSON values."""
    return {
        key: _json_value(value)
        for key, value in values.items()
        if key not in INTERNAL_KEYS and not key.startswith("__")
    }


def _json_value(value: Any) -> Any:
    """`value` as JSON would carry it (LangChain objects in their serialized form)."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return json.loads(json.dumps(dumpd(value), default=str))


class StateEvents:
    """Tracks what the client holds and what the graph holds; says what to send."""

    __slots__ = ("_client", "_graph")

    def __init__(self) -> None:
        self._client: dict[str, Any] | None = None
        self._graph: dict[str, Any] | None = None

    @property
    def current(self) -> dict[str, Any] | None:
        """What the client holds now (None before the first event)."""
        return self._client

    def graph_values(self, values: Mapping[str, Any]) -> list[BaseEvent]:
        """Events for the graph's state after a step (nothing when it did not change)."""
        state = visible_state(values)
        if state == self._graph and self._client is not None:
            return []
        self._graph = state
        return self._send(state)

    def replace(self, state: Mapping[str, Any], *, as_snapshot: bool = False) -> list[BaseEvent]:
        """Events for a state the graph announces itself (copilotkit's `emit_state`): a
        STATE_SNAPSHOT with `as_snapshot`, else whichever of the two is shorter."""
        shown = visible_state(state)
        if not as_snapshot:
            return self._send(shown)
        self._client = shown
        return [StateSnapshotEvent(snapshot=shown)]

    def predict(self, key: str, value: Any) -> list[BaseEvent]:
        """Events for one key predicted ahead of the graph (a tool's streamed argument)."""
        state = dict(self._client or self._graph or {})
        state[key] = _json_value(value)
        return self._send(state)

    def _send(self, state: dict[str, Any]) -> list[BaseEvent]:
        previous, self._client = self._client, state
        if previous is None:
            return [StateSnapshotEvent(snapshot=state)]
        if previous == state:
            return []
        patch = jsonpatch.make_patch(previous, state).patch
        if len(json.dumps(patch)) < len(json.dumps(state)):
            return [StateDeltaEvent(delta=patch)]
        return [StateSnapshotEvent(snapshot=state)]
