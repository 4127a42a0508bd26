"""State events: a snapshot first, then a patch whenever it is shorter than a snapshot."""

from __future__ import annotations

from typing import Any

import jsonpatch
from ag_ui.core import StateSnapshotEvent

from copilot_runtime.graphs.state_events import StateEvents
from tests.fakes import dumped


def test_a_small_change_of_a_large_state_is_a_patch_and_applies() -> None:
    state = StateEvents()
    steps: list[dict[str, Any]] = [{"title": f"step {n}", "done": False} for n in range(20)]
    [first] = state.graph_values({"messages": [], "title": "Plan", "steps": steps})
    assert isinstance(first, StateSnapshotEvent)
    changed = [*steps[:3], {"title": "step 3", "done": True}, *steps[4:]]
    [second] = dumped(state.graph_values({"messages": [], "title": "Plan", "steps": changed}))
    assert second["type"] == "STATE_DELTA"
    assert jsonpatch.apply_patch(first.snapshot, second["delta"]) == {
        "title": "Plan",
        "steps": changed,
    }


def test_a_replaced_state_is_a_snapshot_and_an_unchanged_one_sends_nothing() -> None:
    state = StateEvents()
    state.graph_values({"a": 1})
    [replaced] = state.graph_values({"b": "something else entirely"})
    assert isinstance(replaced, StateSnapshotEvent)
    assert state.graph_values({"b": "something else entirely"}) == []


def test_a_prediction_is_not_taken_back_by_a_step_that_leaves_the_graph_state_as_it_was() -> None:
    state = StateEvents()
    state.graph_values({"document": ""})
    assert len(state.predict("document", "Once upon")) == 1
    assert state.current == {"document": "Once upon"}
    assert state.graph_values({"document": ""}) == []  # the model's node ended; tool not yet run
    assert len(state.graph_values({"document": "Once upon a time"})) == 1
    assert state.current == {"document": "Once upon a time"}
