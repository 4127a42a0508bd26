"""The documents runtime-client-gql sends, with the `__typename` selections urql adds to them,
and helpers to read the answers as the client does."""

from __future__ import annotations

import json
import re
from typing import Any

MESSAGE_FIELDS = """
        __typename
        ... on BaseMessageOutput { id createdAt }
        ... on BaseMessageOutput @defer {
          status {
            ... on SuccessMessageStatus { code }
            ... on FailedMessageStatus { code reason }
            ... on PendingMessageStatus { code }
            __typename
          }
        }
        ... on TextMessageOutput { content @stream role parentMessageId }
        ... on ImageMessageOutput { format bytes role parentMessageId }
        ... on ActionExecutionMessageOutput { name arguments @stream parentMessageId }
        ... on ResultMessageOutput { result actionExecutionId actionName }
        ... on AgentStateMessageOutput {
          threadId state running agentName nodeName runId active role
        }
"""

GENERATE = (
    """
mutation generateCopilotResponse($data: GenerateCopilotResponseInput!, $properties: JSONObject) {
  generateCopilotResponse(data: $data, properties: $properties) {
    threadId
    runId
    extensions { openaiAssistantAPI { runId threadId __typename } __typename }
    ... on CopilotResponse @defer {
      status {
        ... on BaseResponseStatus { code __typename }
        ... on FailedResponseStatus { reason details }
        __typename
      }
    }
    messages @stream {"""
    + MESSAGE_FIELDS
    + """
    }
    metaEvents @stream {
      ... on LangGraphInterruptEvent { type name value }
      __typename
    }
    __typename
  }
}
"""
)

AVAILABLE_AGENTS = """
query availableAgents { availableAgents { agents { name id description __typename } __typename } }
"""

LOAD_AGENT_STATE = """
query loadAgentState($data: LoadAgentStateInput!) {
  loadAgentState(data: $data) { threadId threadExists state messages __typename }
}
"""

URQL_ACCEPT = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)
CREATED_AT = re.compile(r'"createdAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"')


def text(message_id: str, role: str, content: str, **more: Any) -> dict[str, Any]:
    fields = {"role": role, "content": content, **more}
    return {"id": message_id, "createdAt": "2024-05-01T10:00:00.000Z", "textMessage": fields}


def message(message_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": message_id, "createdAt": "2024-05-01T10:00:00.000Z", kind: fields}


def generate_body(*messages: dict[str, Any], **data: Any) -> dict[str, Any]:
    variables = {
        "data": {
            "metadata": {"requestType": "Chat"},
            "frontend": {"actions": [], "url": "https://app.example/page"},
            "messages": list(messages),
            **data,
        },
        "properties": {},
    }
    return {
        "operationName": "generateCopilotResponse",
        "query": GENERATE,
        "variables": variables,
    }


def multipart_payloads(body: str) -> list[dict[str, Any]]:
    """Split a multipart/mixed answer the way urql does (CRLF + boundary), createdAt blanked."""
    assert body.startswith("\r\n---\r\n"), body[:40]
    assert body.endswith("\r\n-----\r\n"), body[-40:]
    payloads = []
    for part in body.split("\r\n---")[1:-1]:
        head, _, payload = part.partition("\r\n\r\n")
        assert "Content-Type: application/json; charset=utf-8" in head
        length = int(re.findall(r"Content-Length: (\d+)", head)[0])
        assert length == len(payload.encode())
        payloads.append(json.loads(CREATED_AT.sub('"createdAt":"T"', payload)))
    return payloads


def sse_payloads(body: str) -> list[dict[str, Any]]:
    """The `next` events of an SSE answer (LF framing), createdAt blanked."""
    assert "\r" not in body
    frames = [frame for frame in body.split("\n\n") if frame]
    assert frames[-1] == "event: complete\ndata:"
    payloads = []
    for frame in frames[:-1]:
        if frame.startswith(":"):
            continue
        event, data = frame.split("\n")
        assert event == "event: next"
        payloads.append(json.loads(CREATED_AT.sub('"createdAt":"T"', data.removeprefix("data: "))))
    return payloads
