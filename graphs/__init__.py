"""The agent: the graph, its run loop as AG-UI events, and chat-model selection."""

from graphs.agent import Agent, new_uuid
from graphs.build import AgentGraph, build_graph
from graphs.context import FrontendTool, RunContext
from graphs.demo_model import DemoChatModel
from graphs.errors import ModelConfigurationError, RunError, StepLimitError
from graphs.events import EventTranslator
from graphs.graph_agent import GraphAgent
from graphs.messages import agui_message, agui_messages, langchain_messages
from graphs.model_http import aiohttp_available, aiohttp_transport
from graphs.models import ModelChoice, ModelOptions, chat_model_from_spec, openai_chat_model
from graphs.openai_stream import StreamingChatOpenAI
from graphs.record import (
    RecordedEvent,
    RunRecord,
    ToolCallRecord,
    available_tools,
    record_conversation,
    record_run,
)
from graphs.run import INTERNAL_ERROR, GraphRun, run_agent
from graphs.snapshot import ThreadSnapshot
from graphs.state import AgentState
from graphs.table import Table
from graphs.threads import ThreadCheckpoint, ThreadHistory, thread_history
from graphs.transcript import Transcript

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
