"""resolve_actions: a static list or a per-request generator -> the request's validated actions."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, TypeAlias

from copilot_runtime.actions.coerce import action_from_dict
from copilot_runtime.actions.errors import ActionDefinitionError
from copilot_runtime.actions.limits import ActionLimits, default_limits, is_async_callable
from copilot_runtime.actions.model import Action, ActionContext

ActionLike: TypeAlias = Action | Mapping[str, Any]
"""An Action, or a dict in the CopilotKit docs shape."""

ActionGenerator: TypeAlias = Callable[
    [ActionContext],
    Iterable[ActionLike] | Awaitable[Iterable[ActionLike]] | AsyncIterable[ActionLike],
]
"""Called on every request with its ActionContext; returns (or resolves to) its actions."""

ActionSource: TypeAlias = Iterable[ActionLike] | ActionGenerator
"""What a runtime is given: a fixed list of actions or a generator."""

GENERATOR = "<actions generator>"


async def resolve_actions(
    source: ActionSource, context: ActionContext, limits: ActionLimits | None = None
) -> tuple[Action, ...]:
    """The actions that exist for this request, checked and in declaration order.

    A sync generator runs in the threads of `limits` (`default_limits()` when None), never on
    the event loop, where it would hold up every other stream while it works.

    Raises:
        ActionDefinitionError: a declaration is wrong or two actions share a name.
    """
    declared = await _declared(source, context, limits or default_limits())
    actions = tuple(_as_action(item) for item in declared)
    names: set[str] = set()
    for action in actions:
        if action.name in names:
            raise ActionDefinitionError(action.name, "two actions have this name")
        names.add(action.name)
    return actions


async def _declared(
    source: ActionSource, context: ActionContext, limits: ActionLimits
) -> Iterable[object]:
    declared: object = source
    if callable(source) and not isinstance(source, Action):
        if is_async_callable(source):
            declared = source(context)
        else:
            declared = await limits.in_thread(_called, source, context)
        if inspect.isawaitable(declared):
            declared = await declared
    if isinstance(declared, AsyncIterable):  # an `async def` generator that yields actions
        declared = [item async for item in declared]
    if declared is None:
        raise ActionDefinitionError(GENERATOR, "returned None; return a list of actions")
    if isinstance(declared, Action | Mapping | str | bytes) or not isinstance(declared, Iterable):
        raise ActionDefinitionError(GENERATOR, "must give a list of actions, not a single item")
    return declared


def _called(generator: Callable[[ActionContext], object], context: ActionContext) -> object:
    """What a sync generator gives, made a list here (a `yield`ing generator does its work
    as it is iterated, which must happen in this thread too)."""
    declared = generator(context)
    if isinstance(declared, Iterator):
        return list(declared)
    return declared


def _as_action(item: object) -> Action:
    if isinstance(item, Action):
        return item
    if isinstance(item, Mapping):
        return action_from_dict(item)
    raise ActionDefinitionError(
        GENERATOR, f"{item!r} is neither an Action nor a dict in CopilotKit's action shape"
    )
