"""The actions of the end-to-end server (`--actions tests.e2e.served_actions:actions`)."""

from __future__ import annotations

import asyncio

from copilot_runtime.actions import Action, ActionContext, action
from copilot_runtime.actions.examples import example_actions


@action
async def slowReport(topic: str) -> str:
    """Write a long report about a topic (takes a minute).

    Args:
        topic: What the report is about.
    """
    await asyncio.sleep(60)
    return f"report on {topic}"


def actions(context: ActionContext) -> list[Action]:
    """The example actions (admin-only reset included) plus a slow one to stop."""
    return [*example_actions(context), slowReport]
