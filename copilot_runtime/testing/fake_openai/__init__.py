"""A fake OpenAI-compatible server on loopback, to run real `ChatOpenAI` over HTTP in tests.

    from langchain_openai import ChatOpenAI
    from copilot_runtime.testing.fake_openai import Text, ToolCalls, call, serve_in_thread

    with serve_in_thread() as server:
        weather = ToolCalls(calls=(call("get_weather", {"city": "Paris"}),))
        server.script(weather, Text(text="Sunny in Paris."))
        model = ChatOpenAI(model="gpt-4o-mini", base_url=server.base_url, api_key="fake")
        ...
        server.model_requests()  # what the model was sent

It answers chat completions and the Responses API, streamed or not, field for field as
api.openai.com does; replies are scripted per request (`Text`, `ToolCalls`, `Failure`), with a
default reply otherwise. The pytest fixture `fake_openai` (`copilot_runtime.testing.pytest_plugin`)
gives each test the server with a fresh script and a base URL of its own.
"""

from copilot_runtime.testing.fake_openai.replies import (
    Failure,
    Reply,
    Text,
    TokenGate,
    ToolCalls,
    call,
    reply_from_json,
)
from copilot_runtime.testing.fake_openai.server import (
    FakeOpenAIServer,
    RecordedRequest,
    serve_in_thread,
)
from copilot_runtime.testing.fake_openai.wire import ToolCall

__all__ = [
    "Failure",
    "FakeOpenAIServer",
    "RecordedRequest",
    "Reply",
    "Text",
    "TokenGate",
    "ToolCall",
    "ToolCalls",
    "call",
    "reply_from_json",
    "serve_in_thread",
]
