"""The start-up banner of `serve`: where it listens, what it serves, and a command to try it."""

from __future__ import annotations

import json
import logging
import os
import shlex
from dataclasses import asdict, dataclass

from copilot_runtime.app.preflight import database_label
from copilot_runtime.app.settings import MEMORY, Settings

logger = logging.getLogger("copilot_runtime")

EXAMPLE_QUESTION = "What is the name of user 42?"
"""What the curl line asks of the example actions (the demo model answers it with one)."""
GREETING = "Hello!"
"""What it says to the user's own actions."""


@dataclass(frozen=True, slots=True)
class Banner:
    """What the server tells the person who started it, line by line."""

    url: str
    model: str
    actions: str
    threads: str
    workers: int
    try_it: str
    playground: str | None
    """The page to open in a browser, when it is served."""

    def log(self) -> None:
        """One record (its fields as `banner` too, for JSON logs)."""
        lines = [
            f"copilot-runtime serving {self.url}",
            f"  model:   {self.model}",
            f"  actions: {self.actions}",
            f"  threads: {self.threads}",
            *([f"  workers: {self.workers}"] if self.workers > 1 else []),
            f"  try it:  {self.try_it}",
            *([f"  playground: open {self.playground} in a browser"] if self.playground else []),
        ]
        logger.info("\n".join(lines), extra={"banner": asdict(self)})


def banner(settings: Settings, *, model: str, actions: str) -> Banner:
    """The banner of a server with these settings, model label and actions description."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{settings.port}{settings.normalized_base_path}"
    return Banner(
        url=url,
        model=model,
        actions=actions,
        threads=thread_store_label(settings),
        workers=settings.workers,
        try_it=try_it(
            url,
            rest_routes=settings.rest_routes,
            text=GREETING if settings.actions else EXAMPLE_QUESTION,
        ),
        playground=url if settings.playground and settings.rest_routes else None,
    )


def thread_store_label(settings: Settings) -> str:
    """Where threads are kept, never with a password."""
    if settings.database_url:
        return f"PostgreSQL {database_label(settings.database_url)}"
    if settings.threads_path == MEMORY:
        return "in memory (lost when the server stops)"
    return f"SQLite file {os.path.abspath(settings.threads_path)}"


def try_it(url: str, *, rest_routes: bool, text: str) -> str:
    """A one-line curl that starts a run (through the envelope when REST routes are off)."""
    run = {
        "threadId": "try-it",
        "runId": "run-1",
        "messages": [{"id": "m1", "role": "user", "content": text}],
        "tools": [],
        "context": [],
        "forwardedProps": {},
        "state": {},
    }
    target, body = f"{url}/agent/default/run", run
    if not rest_routes:
        target = url
        body = {"method": "agent/run", "params": {"agentId": "default"}, "body": run}
    data = json.dumps(body, separators=(",", ":"))
    return f"curl -N {target} -H 'content-type: application/json' -d {shlex.quote(data)}"
