"""remote_info: the `info` answer, what a Node runtime offers its model and page from here."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue

from copilot_runtime.actions import Action, Parameter
from copilot_runtime.app.protocols.agui.info import package_version
from copilot_runtime.app.runtime import CopilotRuntime

STREAM_TYPE = "crewai"
"""The agent `type` whose stream the Node runtime passes on as its own runtime events, one JSON
object per line (`constructRemoteActions`); "langgraph" would make it read LangChain callback
events instead, and any other type is refused ("Unsupported agent type")."""


def remote_info(runtime: CopilotRuntime, actions: Sequence[Action]) -> dict[str, JsonValue]:
    """`{"actions", "agents", "sdkVersion"}`: the actions in CopilotKit's parameter shape (the
    Node runtime turns them into JSON Schema itself), every agent with the stream type."""
    return {
        "actions": [
            {
                "name": action.name,
                "description": action.description,
                "parameters": [parameter_json(p) for p in action.parameters],
            }
            for action in actions
        ],
        "agents": [
            {"name": agent_id, "description": agent.description, "type": STREAM_TYPE}
            for agent_id, agent in runtime.agents.items()
        ],
        "sdkVersion": package_version(),
    }


def parameter_json(parameter: Parameter) -> dict[str, JsonValue]:
    """A Parameter as CopilotKit declares one: `{name, type, description, required, enum?,
    attributes?}`."""
    found: dict[str, JsonValue] = {
        "name": parameter.name,
        "type": parameter.type,
        "description": parameter.description,
        "required": parameter.required,
    }
    if parameter.enum is not None:
        found["enum"] = list(parameter.enum)
    if parameter.attributes is not None:
        found["attributes"] = [parameter_json(p) for p in parameter.attributes]
    return found
