"""OpenAI's wire formats for the fake server: chat-completion chunks and Responses API events.

A model turn is planned as steps (a text token, the head of a tool call, a piece of its
arguments); `ChatStream` and `ResponsesStream` render each step as the SSE frames OpenAI sends,
and `chat_completion` / `response_object` render a whole turn for non-streamed requests. Field
for field this follows what api.openai.com sends (captured streams of both APIs), because the
clients under test (openai-python, langchain-openai, the AI SDK in Node) validate it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]
DONE_FRAME = b"data: [DONE]\n\n"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the fake model makes: `arguments` is the JSON text, as OpenAI sends it."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class TextStep:
    token: str


@dataclass(frozen=True, slots=True)
class CallHead:
    index: int


@dataclass(frozen=True, slots=True)
class CallArgs:
    index: int
    fragment: str


Step = TextStep | CallHead | CallArgs


@dataclass(frozen=True, slots=True)
class Turn:
    """What the fake model answers in one request: text tokens, then tool calls."""

    tokens: tuple[str, ...] = ()
    calls: tuple[ToolCall, ...] = ()
    pieces: int = 3
    """Argument fragments per call (each its own chunk)."""
    interleave: bool = False
    """Parallel calls' fragments alternate between calls (OpenAI sends them call after call)."""
    finish_reason: str | None = None
    """Why the model stopped ("length": its output limit); None: "tool_calls" or "stop"."""

    @property
    def finish(self) -> str:
        """The chat completion's finish_reason."""
        return self.finish_reason or ("tool_calls" if self.calls else "stop")

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    def steps(self) -> list[Step]:
        steps: list[Step] = [TextStep(token) for token in self.tokens]
        fragments = [split(call.arguments, self.pieces) for call in self.calls]
        if self.interleave:
            steps += [CallHead(index) for index in range(len(self.calls))]
            for round_ in range(self.pieces):
                steps += [CallArgs(i, parts[round_]) for i, parts in enumerate(fragments)]
        else:
            for index, parts in enumerate(fragments):
                steps.append(CallHead(index))
                steps += [CallArgs(index, part) for part in parts]
        return [step for step in steps if not (isinstance(step, CallArgs) and not step.fragment)]

    @property
    def output_tokens(self) -> int:
        return len(self.tokens) + sum(len(call.arguments) // 4 + 1 for call in self.calls)


def split(text: str, pieces: int) -> list[str]:
    """`text` cut into `pieces` consecutive fragments (some empty when it is short)."""
    size = -(-len(text) // max(pieces, 1))
    return [text[i * size : (i + 1) * size] for i in range(max(pieces, 1))]


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def chat(self) -> JsonObject:
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def responses(self) -> JsonObject:
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": self.total_tokens,
        }


def sse(payload: JsonObject, event: str | None = None) -> bytes:
    """One SSE frame; the Responses API names each event, chat completions do not."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + data + b"\n\n"


def error_body(status: int, message: str) -> JsonObject:
    kind = {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        404: ("invalid_request_error", "not_found"),
        429: ("requests", "rate_limit_exceeded"),
    }.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind[0], "param": None, "code": kind[1]}}


# -- chat completions -------------------------------------------------------------------------


@dataclass(slots=True)
class ChatStream:
    """`chat.completion.chunk` frames of one streamed completion, then `data: [DONE]`."""

    completion_id: str
    created: int
    model: str
    include_usage: bool
    turn: Turn

    def head(self) -> list[bytes]:
        delta: JsonObject = {"role": "assistant", "content": "" if self.turn.tokens else None}
        delta["refusal"] = None
        return [self._chunk(delta)]

    def step(self, step: Step) -> bytes:
        match step:
            case TextStep(token=token):
                return self._chunk({"content": token})
            case CallHead(index=index):
                call = self.turn.calls[index]
                head = {"name": call.name, "arguments": ""}
                piece = {"index": index, "id": call.call_id, "type": "function", "function": head}
                return self._chunk({"tool_calls": [piece]})
            case CallArgs(index=index, fragment=fragment):
                piece = {"index": index, "function": {"arguments": fragment}}
                return self._chunk({"tool_calls": [piece]})

    def tail(self, usage: Usage) -> list[bytes]:
        frames = [self._chunk({}, finish_reason=self.turn.finish)]
        if self.include_usage:
            frames.append(sse({**self._base(), "choices": [], "usage": usage.chat()}))
        return [*frames, DONE_FRAME]

    def _base(self) -> JsonObject:
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def _chunk(self, delta: JsonObject, finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        chunk: JsonObject = {**self._base(), "choices": [choice]}
        if self.include_usage:
            chunk["usage"] = None  # OpenAI sends null on every chunk but the last
        return sse(chunk)


def chat_completion(
    completion_id: str, created: int, model: str, turn: Turn, usage: Usage
) -> JsonObject:
    """A non-streamed `chat.completion`."""
    message: JsonObject = {
        "role": "assistant",
        "content": turn.text or None,
        "refusal": None,
        "annotations": [],
    }
    if turn.calls:
        message["tool_calls"] = [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in turn.calls
        ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": turn.finish,
            }
        ],
        "usage": usage.chat(),
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


# -- Responses API ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Item:
    output_index: int
    item: JsonObject
    text: str = ""


@dataclass(slots=True)
class ResponsesStream:
    """Responses API events of one streamed response (named SSE events, no [DONE])."""

    response_id: str
    created: int
    model: str
    turn: Turn
    request: JsonObject
    sequence: int = 0
    items: list[_Item] = field(default_factory=list)
    _open: dict[str, _Item] = field(default_factory=dict)

    def head(self) -> list[bytes]:
        shell = response_shell(self.response_id, self.created, self.model, self.request)
        return [
            self._event("response.created", response=shell),
            self._event("response.in_progress", response=shell),
        ]

    def step(self, step: Step) -> list[bytes]:
        match step:
            case TextStep(token=token):
                frames = self._open_message()
                item = self._open["message"]
                item.text += token
                ids = {"item_id": item.item["id"], "output_index": item.output_index}
                return [
                    *frames,
                    self._event(
                        "response.output_text.delta",
                        content_index=0,
                        delta=token,
                        logprobs=[],
                        **ids,
                    ),
                ]
            case CallHead(index=index):
                return self._open_call(index)
            case CallArgs(index=index, fragment=fragment):
                item = self._open[f"call-{index}"]
                item.text += fragment
                return [
                    self._event(
                        "response.function_call_arguments.delta",
                        delta=fragment,
                        item_id=item.item["id"],
                        output_index=item.output_index,
                    )
                ]

    def tail(self, usage: Usage) -> list[bytes]:
        frames = self._close_all()
        done = response_shell(self.response_id, self.created, self.model, self.request)
        done.update(
            status="completed",
            completed_at=self.created,
            output=[item.item for item in self.items],
            usage=usage.responses(),
        )
        return [*frames, self._event("response.completed", response=done)]

    def _open_message(self) -> list[bytes]:
        if "message" in self._open:
            return []
        frames = self._close_all() if not self.turn.interleave else []
        item_id = f"msg_{self.response_id.removeprefix('resp_')}_{len(self.items)}"
        item = {
            "id": item_id,
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        opened = self._add("message", item)
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        return [
            *frames,
            self._event("response.output_item.added", item=dict(item), output_index=opened),
            self._event(
                "response.content_part.added",
                content_index=0,
                item_id=item_id,
                output_index=opened,
                part=part,
            ),
        ]

    def _open_call(self, index: int) -> list[bytes]:
        call = self.turn.calls[index]
        frames = self._close_all() if not self.turn.interleave else []
        item = {
            "id": f"fc_{self.response_id.removeprefix('resp_')}_{index}",
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call.call_id,
            "name": call.name,
        }
        opened = self._add(f"call-{index}", item)
        added = self._event("response.output_item.added", item=dict(item), output_index=opened)
        return [*frames, added]

    def _add(self, key: str, item: JsonObject) -> int:
        opened = _Item(output_index=len(self.items), item=item)
        self.items.append(opened)
        self._open[key] = opened
        return opened.output_index

    def _close_all(self) -> list[bytes]:
        frames: list[bytes] = []
        for key, item in list(self._open.items()):
            frames += self._close(item)
            del self._open[key]
        return frames

    def _close(self, item: _Item) -> list[bytes]:
        ids = {"item_id": item.item["id"], "output_index": item.output_index}
        item.item["status"] = "completed"
        if item.item["type"] == "function_call":
            item.item["arguments"] = item.text
            return [
                self._event("response.function_call_arguments.done", arguments=item.text, **ids),
                self._event(
                    "response.output_item.done", item=item.item, output_index=item.output_index
                ),
            ]
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": item.text}
        item.item["content"] = [part]
        return [
            self._event(
                "response.output_text.done", content_index=0, logprobs=[], text=item.text, **ids
            ),
            self._event("response.content_part.done", content_index=0, part=part, **ids),
            self._event(
                "response.output_item.done", item=item.item, output_index=item.output_index
            ),
        ]

    def _event(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, **fields, "sequence_number": self.sequence}
        self.sequence += 1
        return sse(payload, event=kind)


def response_shell(response_id: str, created: int, model: str, request: JsonObject) -> JsonObject:
    """The `response` object as `response.created` carries it (no output yet)."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": "in_progress",
        "background": False,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": model,
        "output": [],
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": request.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": request.get("store", True),
        "temperature": request.get("temperature", 1),
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools", []),
        "top_p": request.get("top_p", 1),
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": {},
    }


def response_object(
    response_id: str, created: int, model: str, turn: Turn, request: JsonObject, usage: Usage
) -> JsonObject:
    """A non-streamed Responses API answer, built by replaying the stream's items."""
    stream = ResponsesStream(response_id, created, model, turn, request)
    for step in turn.steps():
        stream.step(step)
    stream.tail(usage)
    body = response_shell(response_id, created, model, request)
    body.update(
        status="completed",
        completed_at=created,
        output=[item.item for item in stream.items],
        usage=usage.responses(),
    )
    return body
