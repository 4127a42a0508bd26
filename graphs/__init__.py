"""The agent: the graph, its run loop as AG-UI events, and chat-model selection."""

from copilot_runtime.graphs.agent import Agent, new_uuid
from copilot_runtime.graphs.build import AgentGraph, build_graph
from copilot_runtime.graphs.context import FrontendTool, RunContext
from copilot_runtime.graphs.demo_model import DemoChatModel
from copilot_runtime.graphs.errors import ModelConfigurationError, RunError, StepLimitError
from copilot_runtime.graphs.events import EventTranslator
from copilot_runtime.graphs.graph_agent import GraphAgent
from copilot_runtime.graphs.messages import agui_message, agui_messages, langchain_messages
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
from copilot_runtime.graphs.run import INTERNAL_ERROR, GraphRun, run_agent
from copilot_runtime.graphs.snapshot import ThreadSnapshot
from copilot_runtime.graphs.state import AgentState
from copilot_runtime.graphs.table import Table
from copilot_runtime.graphs.threads import ThreadCheckpoint, ThreadHistory, thread_history
from copilot_runtime.graphs.transcript import Transcript

__all__ = [
    "INTERNAL_ERROR",
    "Agent",
    "AgentGraph",
    "AgentState",
    "DemoChatModel",
    "EventTranslator",
    "FrontendTool",
    "GraphAgent",
    "GraphRun",
    "ModelChoice",
    "ModelConfigurationError",
    "ModelOptions",
    "RecordedEvent",
    "RunContext",
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
    "agui_message",
    "agui_messages",
    "aiohttp_available",
    "aiohttp_transport",
    "available_tools",
    "build_graph",
    "chat_model_from_spec",
    "langchain_messages",
    "new_uuid",
    "openai_chat_model",
    "record_conversation",
    "record_run",
    "run_agent",
    "thread_history",
]
