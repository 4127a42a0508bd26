"""The agent: the graph, its run loop as AG-UI events, and chat-model selection.

Only what a user imports is exported here; the run loop's parts live in their own modules."""

from copilot_runtime.graphs.agent import Agent, new_uuid
from copilot_runtime.graphs.demo_model import DemoChatModel
from copilot_runtime.graphs.errors import ModelConfigurationError, RunError, StepLimitError
from copilot_runtime.graphs.graph_agent import GraphAgent
from copilot_runtime.graphs.model_http import aiohttp_available, aiohttp_transport
from copilot_runtime.graphs.models import (
    ModelChoice,
    ModelOptions,
    chat_model_from_spec,
    openai_chat_model,
)
from copilot_runtime.graphs.openai_stream import StreamingChatOpenAI
from copilot_runtime.graphs.record import (
    RecordedEvent,
    RunRecord,
    ToolCallRecord,
    available_tools,
    record_conversation,
    record_run,
)
from copilot_runtime.graphs.snapshot import ThreadSnapshot
from copilot_runtime.graphs.table import Table
from copilot_runtime.graphs.threads import ThreadCheckpoint, ThreadHistory, thread_history
from copilot_runtime.graphs.transcript import Transcript

__all__ = [
    "Agent",
    "DemoChatModel",
    "GraphAgent",
    "ModelChoice",
    "ModelConfigurationError",
    "ModelOptions",
    "RecordedEvent",
    "RunError",
    "RunRecord",
    "StepLimitError",
    "StreamingChatOpenAI",
    "Table",
    "ThreadCheckpoint",
    "ThreadHistory",
    "ThreadSnapshot",
    "ToolCallRecord",
    "Transcript",
    "aiohttp_available",
    "aiohttp_transport",
    "available_tools",
    "chat_model_from_spec",
    "new_uuid",
    "openai_chat_model",
    "record_conversation",
    "record_run",
    "thread_history",
]
