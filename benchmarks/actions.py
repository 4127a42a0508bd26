"""The backend action every benchmarked server serves (`--actions benchmarks.actions:actions`)."""

from __future__ import annotations

from copilot_runtime.actions import Action, action


@action
async def fetchNameForUserId(userId: str) -> dict[str, str]:  # CopilotKit's docs' name
    """Fetches user name from the database for a given ID.

    Args:
        userId: The ID of the user to fetch data for.
    """
    return {"name": "Darth Doe", "userId": userId}


actions: list[Action] = [fetchNameForUserId]
