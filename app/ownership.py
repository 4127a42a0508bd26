"""The one ownership rule: a thread belongs to the user (and agent) that created it.

Every route of every protocol reaches a thread through here: runs, connect, stop, the thread
routes, GraphQL's loadAgentState and generateCopilotResponse. A caller sees only their own
threads; any other thread (another user's, running or idle, or one without an owner on
record) is answered exactly as a thread that does not exist: an empty replay, "no active
run", 404 on the thread routes, `threadExists: false`. Only the owner can learn that their
thread is busy. Users are who `CopilotRuntime(identify_user=...)` says; without it every
caller is the same anonymous user, and so are requests it answers None for.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from copilot_runtime.actions import ActionContext
from copilot_runtime.app.errors import ConflictError, NotFoundError
from copilot_runtime.app.threads import ThreadRecord, ThreadStore

if TYPE_CHECKING:
    from copilot_runtime.app.server import Server

TAKE_OVER_SECONDS = 5.0
"""How long a supersede or a delete waits for the stopped run to let go of its thread."""
THREAD_NOT_FOUND = "Thread '{thread_id}' not found"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, and for which agent."""

    owner: str
    """The user id `identify_user` gave ("" for anonymous callers)."""
    agent_id: str


def caller_of(server: Server, context: ActionContext) -> Caller:
    """The caller of a request (its ActionContext names the agent)."""
    return Caller(owner=server.runtime.owner(context), agent_id=context.agent_id)


def _store(server: Server) -> ThreadStore:
    if server.threads is None:  # routes answer 503 before the store is open
        raise RuntimeError("the thread store is not open")
    return server.threads


def not_found(thread_id: str) -> NotFoundError:
    """What a caller hears of a thread that is not theirs, or does not exist."""
    return NotFoundError(THREAD_NOT_FOUND.format(thread_id=thread_id), error="Thread not found")


async def visible_thread(server: Server, caller: Caller, thread_id: str) -> ThreadRecord | None:
    """The caller's thread, or None: missing and not theirs are the same answer."""
    record = await _store(server).get(thread_id)
    if record is None or not record.belongs_to(caller.owner, caller.agent_id):
        return None
    return record


async def own_thread(server: Server, caller: Caller, thread_id: str) -> ThreadRecord:
    """The caller's thread, or 404."""
    record = await visible_thread(server, caller, thread_id)
    if record is None:
        raise not_found(thread_id)
    return record


async def enter_thread(server: Server, caller: Caller, thread_id: str, title: str) -> None:
    """Before a run: the thread becomes the caller's (or is touched, when it already is), then
    it is claimed for this run, here or in any worker.

    Ownership comes first, so that a busy thread answers 409 only to its owner. One run per
    thread: two runs writing one thread would each overwrite the other's checkpoints.

    Raises:
        NotFoundError: the thread belongs to someone else.
        ConflictError: the caller's thread already has a run (and is not superseded).
    """
    store = _store(server)
    await store.record_run(thread_id, caller.agent_id, caller.owner, title)
    record = await store.get(thread_id)
    if record is None or not record.belongs_to(caller.owner, caller.agent_id):
        raise not_found(thread_id)
    if await server.coordinator.claim(thread_id):
        return
    if server.settings.busy_thread == "supersede" and await take_over(server, caller, thread_id):
        return
    raise ConflictError(
        f"Thread '{thread_id}' already has a run in progress; stop it or wait for it to finish"
    )


async def take_over(server: Server, caller: Caller, thread_id: str) -> bool:
    """Stop the thread's run wherever it streams and claim the thread once it has let go;
    False when it did not within TAKE_OVER_SECONDS."""
    await server.stop(caller.agent_id, thread_id, None)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TAKE_OVER_SECONDS
    while loop.time() < deadline:
        if await server.coordinator.claim(thread_id):
            return True
        await asyncio.sleep(0.05)
    return False


async def stop_run(server: Server, caller: Caller, thread_id: str, run_id: str | None) -> bool:
    """Stop the caller's run on the thread; False for a thread that is not theirs."""
    if await visible_thread(server, caller, thread_id) is None:
        return False
    return await server.stop(caller.agent_id, thread_id, run_id)


async def delete_thread(server: Server, caller: Caller, thread_id: str) -> None:
    """Forget the caller's thread, its run stopped first, so that no late checkpoint of that
    run brings the thread back without an owner. Its checkpoints go before its record: a
    crash in between leaves an owned thread, never an ownerless one.

    Raises:
        NotFoundError: not the caller's thread.
        ConflictError: its run did not stop in time.
    """
    await own_thread(server, caller, thread_id)
    coordinator = server.coordinator
    if not await coordinator.claim(thread_id) and not await take_over(server, caller, thread_id):
        raise ConflictError(f"Thread '{thread_id}' has a run that did not stop; try again")
    try:
        await server.agent(caller.agent_id).delete_thread(thread_id)
        await _store(server).delete(thread_id)
    finally:
        await coordinator.release(thread_id)
