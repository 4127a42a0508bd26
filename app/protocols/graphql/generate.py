"""generateCopilotResponse: start the run, then stream it incrementally or answer one JSON body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from ag_ui.core import BaseEvent, RunAgentInput
from graphql import ExecutionResult, GraphQLError, execute
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from copilot_runtime.app.body import check_strings
from copilot_runtime.app.context import action_context
from copilot_runtime.app.ownership import Caller, caller_of, visible_thread
from copilot_runtime.app.protocols.graphql.framing import (
    MULTIPART_END,
    SSE_END,
    SSE_KEEPALIVE,
    STREAM_HEADERS,
    Transport,
    media_type,
    multipart_part,
    sse_event,
)
from copilot_runtime.app.protocols.graphql.inbound import GraphqlRun, reconciled, run_from_graphql
from copilot_runtime.app.protocols.graphql.outbound import ROOT, AgentSession, GraphqlEncoder, Json
from copilot_runtime.app.protocols.graphql.schema import (
    GraphqlRequestError,
    Operation,
    execution_schema,
    without_incremental_directives,
)
from copilot_runtime.app.protocols.graphql.wire import GenerateArguments
from copilot_runtime.app.server import Server, start_run
from copilot_runtime.app.streaming import Batch, Framing, StreamedResponse, events_of


def utc_now() -> str:
    """DateTimeISO as graphql-scalars writes it: milliseconds, `Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def generate_response(
    server: Server, request: Request, operation: Operation, transport: Transport
) -> Response:
    """Run the agent the mutation names; failures before its first event raise (not streamed).

    Raises:
        GraphqlRequestError: the arguments do not map to a run.
        ProtocolError, ActionDefinitionError: as `start_run` raises them.
    """
    run = _run_of(server, operation)
    context = action_context(
        request,
        agent_id=run.agent_id,
        thread_id=run.run_input.thread_id,
        properties=run.run_input.forwarded_props,
        page_url=run.page_url,
    )
    run_input = await _reconciled(server, run, caller_of(server, context))
    started = await start_run(
        server, run.agent_id, run_input, context, protocol="graphql", leaves_with_client=True
    )
    session = None
    if run.is_agent_session:
        state = run_input.state if isinstance(run_input.state, dict) else {}
        session = AgentSession(agent_name=run.agent_id, state=state)
    encoder = GraphqlEncoder(
        thread_id=run_input.thread_id,
        run_id=run_input.run_id,
        new_id=server.new_id,
        now=utc_now,
        session=session,
    )
    if transport == "json":
        try:
            await _consume(encoder, events_of(started.batches()))
        finally:
            await started.release()
        return JSONResponse(materialised(operation, encoder.response()).formatted)
    frame = multipart_part if transport == "multipart" else sse_event
    end = SSE_END if transport == "sse" else MULTIPART_END
    framing = Framing(
        media_type=media_type(transport),
        headers=STREAM_HEADERS,
        batch=_frames(encoder, frame, is_sse=transport == "sse"),
        opening=frame(encoder.start()),
        closing=lambda: frame(encoder.finish()) + end,
    )
    return StreamedResponse(started.batches(), framing, on_close=started.release)


def _run_of(server: Server, operation: Operation) -> GraphqlRun:
    # Strings written in the document itself (not in variables, which were checked as JSON)
    # can hold a NUL or a lone surrogate only through a \u escape.
    location = operation.document.loc
    if location is None or "\\u" in location.source.body:
        check_strings(operation.generate_arguments, "generateCopilotResponse")
    try:
        arguments = GenerateArguments.model_validate(operation.generate_arguments)
    except ValidationError as error:
        problems = [
            GraphQLError(f"{_where(item['loc'])}: {item['msg']}") for item in error.errors()
        ]
        raise GraphqlRequestError(problems) from None
    return run_from_graphql(arguments, new_id=server.new_id)


async def _reconciled(server: Server, run: GraphqlRun, caller: Caller) -> RunAgentInput:
    """The run's input with re-sent ids matched to the caller's stored thread (read only when
    it is theirs: `start_run` refuses anyone else's)."""
    agent = server.agent(run.agent_id)
    thread_id = run.run_input.thread_id
    if await visible_thread(server, caller, thread_id) is None:
        return run.run_input
    snapshot = await agent.thread_snapshot(thread_id)
    if snapshot is None:
        return run.run_input
    return reconciled(run.run_input, snapshot.messages)


async def _consume(encoder: GraphqlEncoder, events: AsyncIterator[BaseEvent]) -> None:
    async for event in events:
        encoder.translate(event)
    encoder.finish()


def _frames(
    encoder: GraphqlEncoder, frame: Callable[[Json], bytes], *, is_sse: bool
) -> Callable[[Batch], bytes]:
    """A batch of events as parts: one per event that adds anything, as before batches."""

    def frames(batch: Batch) -> bytes:
        parts: list[bytes] = []
        for event in batch:
            if event is None:
                # A multipart stream has no comment syntax; only SSE can say "still here".
                if is_sse:
                    parts.append(SSE_KEEPALIVE)
                continue
            entries = encoder.translate(event)
            if entries:
                parts.append(frame({"incremental": entries, "hasNext": True}))
        return b"".join(parts)

    return frames


def materialised(operation: Operation, response: Json) -> ExecutionResult:
    """The whole answer in one body, shaped by the client's own selection set.

    graphql-core executes the document (without @defer/@stream) over the finished response,
    so aliases, `__typename` and the fields each client picked come out exactly as asked.
    """
    result = execute(
        execution_schema(),
        without_incremental_directives(operation.document),
        root_value={ROOT: response},
        variable_values=operation.variables,
        operation_name=operation.name,
    )
    if not isinstance(result, ExecutionResult):  # nothing in an in-memory response awaits
        raise TypeError("the materialised response resolved asynchronously")
    return result


def _where(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "arguments"
