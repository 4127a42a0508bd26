"""RunContext: the request-scoped inputs every graph node reads (LangGraph runtime context)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage
from langchain_core.tools import BaseTool
from pydantic import JsonValue

from copilot_runtime.graphs.arguments import StreamedArguments


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontendTool:
    """A tool the client offered in its request; the client executes it, never the server."""

    name: str
    description: str = ""
    parameters: dict[str, JsonValue] = field(default_factory=lambda: {"type": "object"})

    def as_openai_tool(self) -> dict[str, JsonValue]:
        """The OpenAI function-tool shape that every LangChain `bind_tools` accepts."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RunContext:
    """Everything one run needs besides its state; never stored on a shared object."""

    model: BaseChatModel
    """The chat model; tools are bound per run."""
    tools: tuple[BaseTool, ...] = ()
    """Backend tools, executed by the graph."""
    frontend_tools: tuple[FrontendTool, ...] = ()
    """Tools the client offered; a call to one ends the run and the client executes it."""
    instructions: str | None = None
    """The system prompt."""
    client_instructions: tuple[SystemMessage, ...] = ()
    """System/developer messages the client sent with this request (not stored in the thread)."""
    readables: tuple[tuple[str, str], ...] = ()
    """The client's context entries (CopilotKit readables) as (description, value)."""
    tool_choice: str | None = None
    """Force the model to call this tool (CopilotKit suggestion runs)."""
    new_id: Callable[[], str] = field(repr=False)
    """Makes ids for messages the graph creates (tool results)."""
    arguments: StreamedArguments = field(default_factory=StreamedArguments, repr=False)
    """The tool-call arguments as this run's model streamed them (GraphRun.on_chunk fills it),
    so that a call cut off mid-arguments is never run."""

    @property
    def frontend_tool_names(self) -> frozenset[str]:
        """The names the client will execute itself."""
        return frozenset(tool.name for tool in self.frontend_tools)
