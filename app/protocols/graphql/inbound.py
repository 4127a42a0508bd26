"""generateCopilotResponse input -> the RunAgentInput of the v2 path (as CopilotKit's runtime did).

The mapping follows CopilotKit 1.10's own bridge (`convertMessagesToAGUIMessage`): text keeps its
role, tool calls are grouped under their `parentMessageId` assistant message, results become
`tool` messages, images become image parts, frontend actions become frontend tools.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ag_ui.core import (
    AssistantMessage,
    Context,
    DataSource,
    DeveloperMessage,
    FunctionCall,
    ImagePart,
    Message,
    RunAgentInput,
    SystemMessage,
    TextPart,
    Tool,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from graphql import GraphQLError
from pydantic import JsonValue

from copilot_runtime.app.protocols.graphql.schema import GraphqlRequestError
from copilot_runtime.app.protocols.graphql.wire import (
    ActionExecutionMessageInput,
    ActionInput,
    GenerateArguments,
    GenerateCopilotResponseInput,
    ImageMessageInput,
    MessageInput,
    TextMessageInput,
)
from copilot_runtime.app.runtime import DEFAULT_AGENT_ID

TOOL_TEXT = "message {id}: a TextMessage cannot have role 'tool'; send a ResultMessage"
NOT_JSON = "{what} is not valid JSON: {error}"


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphqlRun:
    """What one generateCopilotResponse asks for."""

    agent_id: str
    run_input: RunAgentInput
    page_url: str | None
    """`frontend.url`: the page, for the actions generator's `url`."""
    is_agent_session: bool
    """The client locked the chat to an agent; it expects AgentStateMessageOutput back."""


def run_from_graphql(arguments: GenerateArguments, *, new_id: Callable[[], str]) -> GraphqlRun:
    """The run the mutation asks for; the thread id is made up when the client sends none.

    Raises:
        GraphqlRequestError: a JSON string (arguments, schema, state) does not parse, or a
            message cannot be mapped.
    """
    data = arguments.data
    session = data.agent_session
    agent_id = session.agent_name if session else DEFAULT_AGENT_ID
    thread_id = data.thread_id or (session.thread_id if session else None) or new_id()
    run_input = RunAgentInput(
        thread_id=thread_id,
        run_id=new_id(),
        # The client echoes the previous response's runId: the run this one follows.
        parent_run_id=data.run_id,
        state=_state(data, agent_id),
        messages=agui_messages(data.messages),
        tools=[_tool(action) for action in data.frontend.actions if action.available != "disabled"],
        context=[Context(description=c.description, value=c.value) for c in data.context or ()],
        forwarded_props=_forwarded_props(data, arguments.properties),
    )
    return GraphqlRun(
        agent_id=agent_id,
        run_input=run_input,
        page_url=data.frontend.url,
        is_agent_session=session is not None,
    )


def agui_messages(messages: Sequence[MessageInput]) -> list[Message]:
    """The transcript in AG-UI form; agent-state messages carry state, not conversation."""
    transcript = _Transcript()
    for message in messages:
        if message.text_message is not None:
            transcript.add_text(message.id, message.text_message)
        elif message.action_execution_message is not None:
            transcript.add_call(message.id, message.action_execution_message)
        elif message.result_message is not None:
            result = message.result_message
            transcript.append(
                ToolMessage(
                    id=message.id, content=result.result, tool_call_id=result.action_execution_id
                )
            )
        elif message.image_message is not None:
            transcript.add_image(message.id, message.image_message)
    return transcript.messages


class _Transcript:
    """Builds the message list, merging the pieces the legacy format splits apart."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._index: dict[str, int] = {}

    def append(self, message: Message) -> None:
        self._index.setdefault(message.id, len(self.messages))
        self.messages.append(message)

    def _find(self, message_id: str | None) -> Message | None:
        index = self._index.get(message_id or "")
        return None if index is None else self.messages[index]

    def _replace(self, message: Message) -> None:
        self.messages[self._index[message.id]] = message

    def add_text(self, message_id: str, text: TextMessageInput) -> None:
        match text.role:
            case "user":
                self.append(UserMessage(id=message_id, content=text.content))
            case "assistant":
                earlier = self._find(message_id)
                if isinstance(earlier, AssistantMessage):  # its tool calls came first
                    self._replace(earlier.model_copy(update={"content": text.content}))
                else:
                    self.append(AssistantMessage(id=message_id, content=text.content))
            case "system":
                self.append(SystemMessage(id=message_id, content=text.content))
            case "developer":
                self.append(DeveloperMessage(id=message_id, content=text.content))
            case "tool":
                raise GraphqlRequestError([GraphQLError(TOOL_TEXT.format(id=message_id))])

    def add_call(self, call_id: str, call: ActionExecutionMessageInput) -> None:
        function = FunctionCall(name=call.name, arguments=call.arguments)
        tool_call = ToolCall(id=call_id, function=function)
        parent = self._find(call.parent_message_id)
        if isinstance(parent, AssistantMessage):
            calls = [*(parent.tool_calls or ()), tool_call]
            self._replace(parent.model_copy(update={"tool_calls": calls}))
        else:
            owner = call.parent_message_id or call_id
            self.append(AssistantMessage(id=owner, tool_calls=[tool_call]))

    def add_image(self, message_id: str, image: ImageMessageInput) -> None:
        part = ImagePart(source=DataSource(value=image.bytes, mime_type=f"image/{image.format}"))
        parent = self._find(image.parent_message_id)
        if isinstance(parent, UserMessage):  # the text it was sent with
            content = parent.content
            parts = list(content) if not isinstance(content, str) else [TextPart(text=content)]
            self._replace(parent.model_copy(update={"content": [*parts, part]}))
        else:
            # AG-UI has image parts on user messages only; an assistant's image is shown as one.
            self.append(UserMessage(id=message_id, content=[part]))


def _tool(action: ActionInput) -> Tool:
    parameters = _json(action.json_schema, f"the jsonSchema of action '{action.name}'")
    if not isinstance(parameters, dict):
        parameters = {"type": "object", "properties": {}}
    return Tool(name=action.name, description=action.description, parameters=parameters)


def _state(data: GenerateCopilotResponseInput, agent_id: str) -> dict[str, JsonValue]:
    # useCoAgent's agentStates first; AgentStateMessages (filtered out by recent clients) next.
    candidates = [s.state for s in data.agent_states or () if s.agent_name == agent_id]
    candidates += [
        m.agent_state_message.state
        for m in reversed(data.messages)
        if m.agent_state_message is not None and m.agent_state_message.agent_name == agent_id
    ]
    if not candidates:
        return {}
    state = _json(candidates[0], f"the state of agent '{agent_id}'")
    return state if isinstance(state, dict) else {}


def _forwarded_props(
    data: GenerateCopilotResponseInput, properties: dict[str, JsonValue] | None
) -> dict[str, JsonValue]:
    props: dict[str, JsonValue] = dict(properties or {})
    parameters = data.forwarded_parameters
    if parameters is None or "toolChoice" in props:
        return props
    # The v2 spelling, which the agent already reads (CopilotTask sends "required").
    if parameters.tool_choice == "function" and parameters.tool_choice_function_name:
        name = parameters.tool_choice_function_name
        props["toolChoice"] = {"type": "function", "function": {"name": name}}
    elif parameters.tool_choice == "required":
        props["toolChoice"] = "required"
    return props


def _json(text: str, what: str) -> JsonValue:
    try:
        value: JsonValue = json.loads(text)
    except json.JSONDecodeError as error:
        raise GraphqlRequestError([GraphQLError(NOT_JSON.format(what=what, error=error))]) from None
    return value


def reconciled(run_input: RunAgentInput, stored: Sequence[Message]) -> RunAgentInput:
    """The input with re-sent messages under the ids the thread already keeps them under.

    These clients re-send the whole transcript on every request. A server-side result comes
    back as "result-<call id>" (the id CopilotKit's runtime gave it) though the thread stores
    it under the graph's id, and the client makes up a new id for its system prompt on every
    request; the checkpointer merges by id, so both would be appended to the thread again.
    """
    result_ids = {m.tool_call_id: m.id for m in stored if isinstance(m, ToolMessage)}
    system_ids = iter([m.id for m in stored if isinstance(m, SystemMessage | DeveloperMessage)])
    messages: list[Message] = []
    for message in run_input.messages:
        stored_id: str | None = None
        if isinstance(message, ToolMessage):
            stored_id = result_ids.get(message.tool_call_id)
        elif isinstance(message, SystemMessage | DeveloperMessage):
            stored_id = next(system_ids, None)  # the n-th prompt replaces the n-th stored one
        messages.append(message.model_copy(update={"id": stored_id}) if stored_id else message)
    return run_input.model_copy(update={"messages": messages})
