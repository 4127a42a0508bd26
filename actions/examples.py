"""Example actions served when no others are configured (the CopilotKit docs' seed example)."""

from __future__ import annotations

from copilot_runtime.actions.decorator import action
from copilot_runtime.actions.model import Action, ActionContext


@action
def fetchNameForUserId(userId: str) -> dict[str, str]:  # the docs' name
    """Fetches user name from the database for a given ID.

    Args:
        userId: The ID of the user to fetch data for.
    """
    return {"name": "Darth Doe"}


@action
def getWeather(city: str) -> dict[str, str | int]:
    """Get the current weather for a city.

    Args:
        city: The city name.
    """
    return {"city": city, "forecast": "sunny", "temperatureCelsius": 21}


@action
def whoAmI(context: ActionContext) -> dict[str, object]:
    """Tell which page and which custom properties this request came with."""
    return {"url": context.url, "properties": dict(context.properties)}


def example_actions(context: ActionContext) -> list[Action]:
    """A generator: every request gets these; `properties.role == "admin"` adds one more."""
    found = [fetchNameForUserId, getWeather, whoAmI]
    if context.properties.get("role") == "admin":
        found.append(resetUserPassword)
    return found


@action
def resetUserPassword(userId: str) -> str:
    """Reset a user's password (offered to admins only).

    Args:
        userId: The ID of the user.
    """
    return f"A reset link was sent to user {userId}."
