"""The legacy GraphQL protocol of CopilotKit <= 1.10 (and CopilotTask), at the base URL.

Its message mapping is shared with the remote-endpoint protocol, whose Node runtime forwards
the same messages (as its own classes) to Python.
"""

from copilot_runtime.app.protocols.graphql.inbound import agui_messages, reconciled
from copilot_runtime.app.protocols.graphql.queries import copilotkit_messages
from copilot_runtime.app.protocols.graphql.router import graphql_response, graphql_router
from copilot_runtime.app.protocols.graphql.wire import (
    ActionExecutionMessageInput,
    ImageMessageInput,
    MessageInput,
    ResultMessageInput,
    TextMessageInput,
)

__all__ = [
    "ActionExecutionMessageInput",
    "ImageMessageInput",
    "MessageInput",
    "ResultMessageInput",
    "TextMessageInput",
    "agui_messages",
    "copilotkit_messages",
    "graphql_response",
    "graphql_router",
    "reconciled",
]
