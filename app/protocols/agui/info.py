"""runtime_info: the RuntimeInfo JSON CopilotKit clients read from /info."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from copilot_runtime.app.runtime import CopilotRuntime


def package_version() -> str:
    """This package's version, for /info."""
    try:
        return version("copilot-runtime")
    except PackageNotFoundError:
        return "0.0.0"


def runtime_info(runtime: CopilotRuntime, *, thread_endpoints: bool) -> dict[str, Any]:
    """`agents` is always an object and `mode` is "sse" (anything else changes client transport).

    Thread endpoints are advertised only where a client can reach them (the REST routes).
    """
    return {
        "version": package_version(),
        "agents": {
            agent_id: {
                "name": agent_id,
                "className": type(agent).__name__,
                "description": agent.description,
            }
            for agent_id, agent in runtime.agents.items()
        },
        "audioFileTranscriptionEnabled": False,
        "mode": "sse",
        "threadEndpoints": {
            "list": thread_endpoints,
            "inspect": thread_endpoints,
            "mutations": thread_endpoints,
            "realtimeMetadata": False,
        },
        "suggestions": False,
        "a2uiEnabled": False,
        "openGenerativeUIEnabled": False,
        "telemetryDisabled": True,
    }
