"""copilot-runtime: a Python runtime for CopilotKit apps.

The names most programs need, from one place:

    from copilot_runtime import CopilotRuntime, action, create_app

    @action
    def get_weather(city: str) -> str:
        '''Current weather for a city.'''
        return "sunny"

    app = create_app(CopilotRuntime(actions=[get_weather]))

The layers are importable too: `copilot_runtime.actions` (what users declare),
`copilot_runtime.graphs` (the agent and its runs) and `copilot_runtime.app` (HTTP), and so is
the testing kit for users' own tests, `copilot_runtime.testing`.

Names are imported on first use, so `import copilot_runtime` alone stays cheap: the command
line's worker supervisor imports this package and must not load LangChain and LangGraph.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copilot_runtime.actions import (
        Action,
        ActionContext,
        ActionFailedError,
        Parameter,
        action,
    )
    from copilot_runtime.app.embed import add_copilotkit_endpoint
    from copilot_runtime.app.main import create_app
    from copilot_runtime.app.runtime import CopilotRuntime
    from copilot_runtime.graphs import Agent, record_run

try:
    __version__ = version("copilot-runtime")
except PackageNotFoundError:  # a checkout used without installing it
    __version__ = "0.0.0"

_HOMES = {
    "Action": "copilot_runtime.actions",
    "ActionContext": "copilot_runtime.actions",
    "ActionFailedError": "copilot_runtime.actions",
    "Parameter": "copilot_runtime.actions",
    "action": "copilot_runtime.actions",
    "Agent": "copilot_runtime.graphs",
    "record_run": "copilot_runtime.graphs",
    "CopilotRuntime": "copilot_runtime.app.runtime",
    "create_app": "copilot_runtime.app.main",
    "add_copilotkit_endpoint": "copilot_runtime.app.embed",
}

__all__ = [
    "Action",
    "ActionContext",
    "ActionFailedError",
    "Agent",
    "CopilotRuntime",
    "Parameter",
    "__version__",
    "action",
    "add_copilotkit_endpoint",
    "create_app",
    "record_run",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'copilot_runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
