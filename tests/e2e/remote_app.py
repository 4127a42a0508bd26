"""The server a Node runtime pinned to CopilotKit 1.10 reaches by `remoteEndpoints`: the end-to-end
actions (admin-only reset included), the model the COPILOT_MODEL settings name, users named by
their bearer token.

    uvicorn tests.e2e.remote_app:app --factory
"""

from __future__ import annotations

from fastapi import FastAPI

from copilot_runtime.actions import ActionContext
from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from tests.e2e.served_actions import actions


def bearer_user(context: ActionContext) -> str | None:
    """The user a test's token names (a real app verifies the token first)."""
    token = context.headers.get("authorization", "")
    return token.removeprefix("Bearer ") or None


def app() -> FastAPI:
    """What uvicorn serves (threads where COPILOT_THREADS_PATH says)."""
    settings = Settings()
    runtime = CopilotRuntime(
        actions=actions,
        model=settings.model,
        model_options=settings.model_options(),
        identify_user=bearer_user,
    )
    return create_app(runtime, settings)
