"""messages_before_run: what a `connect` to a busy thread sends before the run's events.

The thread may hold some of the run's own messages already (each finished step is stored),
and the run's events make them again, so a client given both would show them twice. What
comes before the events is the thread up to the last message the run was given (its
`anchor`), without any message the run's events make.
"""

from __future__ import annotations

from collections.abc import Sequence

from ag_ui.core import BaseEvent, Message

from copilot_runtime.app.run_events import made_message_ids


def messages_before_run(
    stored: Sequence[Message], anchor: Message | None, events: Sequence[BaseEvent]
) -> list[Message]:
    """The stored messages the run did not make (`events`: those of the run known so far),
    and its anchor when the thread does not hold it yet (the run has only just started)."""
    ids = [message.id for message in stored]
    if anchor is not None and anchor.id in ids:
        kept = list(stored[: ids.index(anchor.id) + 1])
    else:
        kept = [*stored, anchor] if anchor is not None else list(stored)
    made = made_message_ids(events)
    return [message for message in kept if message.id not in made]
