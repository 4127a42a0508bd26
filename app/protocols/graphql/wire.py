"""The GraphQL input types the mutation carries, as typed models (camelCase only on the wire).

graphql-core has already coerced the variables against the schema when these are built, so
the models only add Python types; `extra="ignore"` drops the inputs this runtime does not use
(`cloud`, `extensions`, `metaEvents`, the deprecated `agentState`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel

Role = Literal["assistant", "developer", "system", "tool", "user"]
Availability = Literal["disabled", "enabled", "remote"]
RequestType = Literal["Chat", "Suggestion", "Task", "TextareaCompletion", "TextareaPopover"]


class WireModel(BaseModel):
    """The base of every GraphQL wire model."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class TextMessageInput(WireModel):
    """A chat text (the client's own system prompt included)."""

    content: str
    role: Role
    parent_message_id: str | None = None


class ActionExecutionMessageInput(WireModel):
    """A tool call; `parent_message_id` is the assistant message it belongs to."""

    name: str
    arguments: str
    """The arguments object as a JSON string."""
    parent_message_id: str | None = None


class ResultMessageInput(WireModel):
    """A tool result, from the server (re-sent) or from a frontend action."""

    action_execution_id: str
    action_name: str
    result: str
    parent_message_id: str | None = None


class AgentStateMessageInput(WireModel):
    """An agent's state, as a JSON string."""

    agent_name: str
    state: str
    thread_id: str = ""
    role: Role = "assistant"
    running: bool = False
    node_name: str = ""
    run_id: str = ""
    active: bool = False


class ImageMessageInput(WireModel):
    """An image: `format` is the image subtype (png, jpeg...), `bytes` its base64 text."""

    format: str
    bytes: str
    role: Role = "user"
    parent_message_id: str | None = None


class MessageInput(WireModel):
    """One message; exactly one of the kinds is set (a hand-rolled union)."""

    id: str
    created_at: JsonValue = None
    text_message: TextMessageInput | None = None
    action_execution_message: ActionExecutionMessageInput | None = None
    result_message: ResultMessageInput | None = None
    agent_state_message: AgentStateMessageInput | None = None
    image_message: ImageMessageInput | None = None


class ActionInput(WireModel):
    """A frontend action; `json_schema` is its parameters' JSON Schema as a JSON string."""

    name: str
    description: str = ""
    json_schema: str
    available: Availability | None = None


class FrontendInput(WireModel):
    """The page: its actions and `window.location.href`."""

    actions: tuple[ActionInput, ...] = ()
    url: str | None = None


class AgentSessionInput(WireModel):
    """Set when the app is locked to an agent (`<CopilotKit agent>`) or useCoAgent runs one."""

    agent_name: str
    thread_id: str | None = None
    node_name: str | None = None


class AgentStateInput(WireModel):
    """useCoAgent state of one agent, as a JSON string."""

    agent_name: str
    state: str
    config: str | None = None


class ForwardedParametersInput(WireModel):
    """Model parameters; only the tool choice is honoured (the server picks the model)."""

    tool_choice: str | None = None
    tool_choice_function_name: str | None = None


class ContextInput(WireModel):
    """A useCopilotReadable entry."""

    description: str
    value: str


class MetadataInput(WireModel):
    """What kind of request this is."""

    request_type: RequestType | None = None


class GenerateCopilotResponseInput(WireModel):
    """The `data` argument of generateCopilotResponse."""

    metadata: MetadataInput = Field(default_factory=MetadataInput)
    thread_id: str | None = None
    run_id: str | None = None
    messages: tuple[MessageInput, ...] = ()
    frontend: FrontendInput = Field(default_factory=FrontendInput)
    forwarded_parameters: ForwardedParametersInput | None = None
    agent_session: AgentSessionInput | None = None
    agent_states: tuple[AgentStateInput, ...] | None = None
    context: tuple[ContextInput, ...] | None = None


class GenerateArguments(WireModel):
    """Both arguments of the mutation; `properties` is the app's `properties` bag."""

    data: GenerateCopilotResponseInput
    properties: dict[str, JsonValue] | None = None


class LoadAgentStateInput(WireModel):
    """The `data` argument of loadAgentState."""

    thread_id: str
    agent_name: str
