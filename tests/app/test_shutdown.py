"""Shutdown lets running runs go on for the grace period, then stops them as /stop would."""

from __future__ import annotations

from copilot_runtime.actions import ActionContext
from copilot_runtime.app.main import create_app
from copilot_runtime.app.protocols.agui.inbound import run_input_from_body
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.server import Server, start_run
from copilot_runtime.testing import ScriptedChatModel, reply
from tests.app.conftest import body, settings


async def test_a_run_still_going_after_the_grace_period_is_stopped_cleanly() -> None:
    endless = " ".join(f"w{i}" for i in range(10_000))
    model = ScriptedChatModel([reply(endless)], delay=0.01)
    app = create_app(CopilotRuntime(model=model), settings(shutdown_grace_seconds=0.2))
    async with app.router.lifespan_context(app):
        server: Server = app.state.server
        started = await start_run(server, "default", run_input_from_body(body()), ActionContext())
        active = started.active
        assert active.events is not None
        reader = active.events.reader()
        while not any(e.type == "TEXT_MESSAGE_CONTENT" for e in await reader.batch() or []):
            pass  # the answer is streaming
    # The app has shut down: the run was stopped, not cut off.
    assert active.stopped.is_set()
    assert active.events.is_over
    events = active.events.events()
    assert [e.type for e in events[-2:]] == ["TEXT_MESSAGE_END", "RUN_FINISHED"]
    assert not server.registry.is_running("t1")


async def test_a_run_that_ends_within_the_grace_period_ends_on_its_own() -> None:
    model = ScriptedChatModel([reply("a short answer")], delay=0.01)
    app = create_app(CopilotRuntime(model=model), settings(shutdown_grace_seconds=30))
    async with app.router.lifespan_context(app):
        server: Server = app.state.server
        started = await start_run(server, "default", run_input_from_body(body()), ActionContext())
    active = started.active
    assert not active.stopped.is_set()
    assert active.events is not None
    texts = [e.delta for e in active.events.events() if e.type == "TEXT_MESSAGE_CONTENT"]  # type: ignore[attr-defined]
    assert "".join(texts) == "a short answer"
