"""A testing kit for actions, agents and LangGraph graphs served by copilot-runtime.

    from copilot_runtime import Agent, record_run
    from copilot_runtime.testing import ScriptedChatModel, call, reply

    model = ScriptedChatModel([call("get_weather", city="Paris"), reply("Sunny in Paris.")])
    run = await record_run(Agent(actions=[get_weather], model=model), "Weather in Paris?")
    assert run.tool_calls[0].result == "sunny"
    assert run.text == "Sunny in Paris."

- `ScriptedChatModel(steps)`: a LangChain chat model that answers each call with the next
  step (`reply`, `call`, a list of calls, `reasoning`, an AIMessage, an exception), streams it
  as a provider does, records every prompt (`model.requests`), and says clearly when the
  script runs out or calls a tool it was not offered. It works with `bind_tools`, so in the
  built-in agent and in a LangGraph graph of your own.
- `serve(runtime_or_app)`: the app on a real uvicorn server on a free loopback port, for
  end-to-end tests with any HTTP client; `post_run(url, message)` posts a run and returns its
  AG-UI events.
- `stream_problems(events)`: what an AG-UI client would reject in an event stream.
- `copilot_runtime.testing.fake_openai`: a fake OpenAI-compatible server, to run real
  `ChatOpenAI` over HTTP; `copilot_runtime.testing.pytest_plugin` has its pytest fixture.

Nothing here imports pytest.
"""

from copilot_runtime.testing.http_client import RunRequestError, post_run, run_body, sse_events
from copilot_runtime.testing.problems import stream_problems
from copilot_runtime.testing.scripted_model import ModelRequest, ScriptedChatModel, ScriptError
from copilot_runtime.testing.steps import Call, Reasoning, Reply, Step, call, reasoning, reply
from copilot_runtime.testing.uvicorn_server import serve, settings_for_tests

__all__ = [
    "Call",
    "ModelRequest",
    "Reasoning",
    "Reply",
    "RunRequestError",
    "ScriptError",
    "ScriptedChatModel",
    "Step",
    "call",
    "post_run",
    "reasoning",
    "reply",
    "run_body",
    "serve",
    "settings_for_tests",
    "sse_events",
    "stream_problems",
]
