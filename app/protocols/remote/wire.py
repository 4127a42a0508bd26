"""The request bodies a Node runtime (CopilotKit <= 1.10, `remoteEndpoints`) sends, as typed models.

The runtime posts JSON with camelCase keys. `messages` in `agents/execute` are its own message
classes serialised (`TextMessage`, `ActionExecutionMessage`, `ResultMessage`,
`AgentStateMessage`, `ImageMessage`, told apart by `type`): the GraphQL messages of the page,
reshaped, so they are mapped onto the GraphQL wire models and share that protocol's conversion.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError
from pydantic.alias_generators import to_camel

from copilot_runtime.app.errors import BadRequestError
from copilot_runtime.app.protocols.agui.inbound import validation_problems
from copilot_runtime.app.protocols.graphql import (
    ActionExecutionMessageInput,
    ImageMessageInput,
    MessageInput,
    ResultMessageInput,
    TextMessageInput,
)

TextRole = Literal["assistant", "developer", "system", "user"]
Properties = dict[str, JsonValue]


class RemoteModel(BaseModel):
    """The base of every request model; keys the runtime adds and this one ignores are dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class TextMessage(RemoteModel):
    """Chat text; the page's system prompt comes as one too."""

    type: Literal["TextMessage"]
    id: str
    role: TextRole
    content: str
    parent_message_id: str | None = None

    def as_input(self) -> MessageInput | None:
        """The GraphQL message it was made from."""
        text = TextMessageInput(
            content=self.content, role=self.role, parent_message_id=self.parent_message_id
        )
        return MessageInput(id=self.id, text_message=text)


class ActionExecutionMessage(RemoteModel):
    """A tool call; the runtime has already parsed its arguments."""

    type: Literal["ActionExecutionMessage"]
    id: str
    name: str
    arguments: JsonValue = None
    parent_message_id: str | None = None

    def as_input(self) -> MessageInput | None:
        """The GraphQL message it was made from (arguments as a JSON string again)."""
        arguments = self.arguments if self.arguments is not None else {}
        call = ActionExecutionMessageInput(
            name=self.name,
            arguments=json.dumps(arguments, ensure_ascii=False),
            parent_message_id=self.parent_message_id,
        )
        return MessageInput(id=self.id, action_execution_message=call)


class ResultMessage(RemoteModel):
    """A tool result: from this server (re-sent by the page), the Node runtime or the page."""

    type: Literal["ResultMessage"]
    id: str
    action_execution_id: str
    action_name: str
    result: str

    def as_input(self) -> MessageInput | None:
        """The GraphQL message it was made from."""
        result = ResultMessageInput(
            action_execution_id=self.action_execution_id,
            action_name=self.action_name,
            result=self.result,
        )
        return MessageInput(id=self.id, result_message=result)


class AgentStateMessage(RemoteModel):
    """An agent's state in the transcript; the request's `state` is what counts."""

    type: Literal["AgentStateMessage"]
    id: str

    def as_input(self) -> MessageInput | None:
        """None: state is not conversation."""
        return None


class ImageMessage(RemoteModel):
    """An image: `format` is the subtype (png, jpeg...), `bytes` its base64 text."""

    type: Literal["ImageMessage"]
    id: str
    format: str
    bytes: str
    role: TextRole = "user"
    parent_message_id: str | None = None

    def as_input(self) -> MessageInput | None:
        """The GraphQL message it was made from."""
        image = ImageMessageInput(
            format=self.format,
            bytes=self.bytes,
            role=self.role,
            parent_message_id=self.parent_message_id,
        )
        return MessageInput(id=self.id, image_message=image)


RemoteMessage = Annotated[
    TextMessage | ActionExecutionMessage | ResultMessage | AgentStateMessage | ImageMessage,
    Field(discriminator="type"),
]


class InfoRequest(RemoteModel):
    """`info`: the page's properties and URL (the only request that carries the URL)."""

    properties: Properties | None = None
    frontend_url: str | None = None


class ExecuteActionRequest(RemoteModel):
    """`actions/execute`: one call the Node runtime's model made to one of this server's actions."""

    name: str
    arguments: Properties | None = None
    properties: Properties | None = None


class OfferedAction(RemoteModel):
    """An action the Node runtime offers the agent: the page's, its own, other endpoints'."""

    name: str
    description: str = ""
    parameters: JsonValue = None
    """JSON Schema."""


class ExecuteAgentRequest(RemoteModel):
    """`agents/execute`: one agent turn. `config`, `nodeName` and `metaEvents` (LangGraph
    checkpoint config, the node to resume from, interrupt answers) are not used: every run
    continues its thread from the stored checkpoint."""

    name: str
    thread_id: str | None = None
    messages: tuple[RemoteMessage, ...] = ()
    state: Properties | None = None
    properties: Properties | None = None
    actions: tuple[OfferedAction, ...] = ()


class AgentStateRequest(RemoteModel):
    """`agents/state`: what loadAgentState asks the Node runtime for."""

    name: str
    thread_id: str
    properties: Properties | None = None


Request = TypeVar("Request", bound=RemoteModel)


def parsed(model: type[Request], body: Any, route: str) -> Request:
    """Validate the body of `route`; 400 listing the problems when it does not fit."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = validation_problems(error)
        raise BadRequestError(f"Invalid {route} request body", details=problems) from None
