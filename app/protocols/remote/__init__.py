"""The `copilotkit` Python SDK's remote-endpoint protocol, for Node runtimes of CopilotKit <= 1.10
(`remoteEndpoints: [{ url }]`): this runtime's actions and agents, served to them."""

from copilot_runtime.app.protocols.remote.router import remote_router

__all__ = ["remote_router"]
