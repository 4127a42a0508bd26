"""resolve_actions: a static list or a per-request generator -> the request's checked actions."""

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from copilot_runtime.actions import (
    Action,
    ActionContext,
    ActionDefinitionError,
    ActionLike,
    Parameter,
    resolve_actions,
)


def noop(**kwargs: Any) -> None:
    return None


def named(name: str) -> Action:
    return Action(name=name, description=f"The {name} action.", handler=noop)


def names(actions: Sequence[Action]) -> list[str]:
    return [a.name for a in actions]


FETCH_NAME = {
    "name": "fetchNameForUserId",
    "description": "Fetches user name from the database for a given ID.",
    "parameters": [
        {
            "name": "userId",
            "type": "string",
            "description": "The ID of the user to fetch data for.",
            "required": True,
        }
    ],
    "handler": noop,
}
ADMIN = ActionContext(properties={"role": "admin"}, url="https://app.example/admin")
VIEWER = ActionContext(properties={"role": "viewer"}, url="https://app.example/orders")


def by_role(context: ActionContext) -> list[ActionLike]:
    """The CopilotKit docs pattern: the actions depend on the request's properties."""
    actions: list[ActionLike] = [FETCH_NAME]
    if context.properties.get("role") == "admin":
        actions.append(named("deleteUser"))
    return actions


# --- sources ------------------------------------------------------------------------------


async def test_resolve_returns_actions_in_order_when_source_is_static_list() -> None:
    resolved = await resolve_actions([named("b"), named("a"), named("c")], ActionContext())

    assert isinstance(resolved, tuple)
    assert names(resolved) == ["b", "a", "c"]


async def test_resolve_returns_same_action_objects_when_given_actions() -> None:
    first, second = named("first"), named("second")

    resolved = await resolve_actions((first, second), ActionContext())

    assert resolved[0] is first
    assert resolved[1] is second


async def test_resolve_builds_actions_when_static_list_holds_copilotkit_dicts() -> None:
    resolved = await resolve_actions([FETCH_NAME], ActionContext())

    assert resolved == (
        Action(
            name="fetchNameForUserId",
            description="Fetches user name from the database for a given ID.",
            parameters=(
                Parameter(name="userId", description="The ID of the user to fetch data for."),
            ),
            handler=noop,
        ),
    )


async def test_resolve_keeps_order_when_dicts_and_actions_are_mixed() -> None:
    source: list[ActionLike] = [named("first"), FETCH_NAME, named("last")]

    resolved = await resolve_actions(source, ActionContext())

    assert names(resolved) == ["first", "fetchNameForUserId", "last"]
    assert all(isinstance(a, Action) for a in resolved)


async def test_resolve_returns_nothing_when_source_is_empty() -> None:
    assert await resolve_actions([], ActionContext()) == ()


async def test_resolve_calls_sync_generator_with_context_when_source_is_a_function() -> None:
    seen: list[ActionContext] = []

    def generator(context: ActionContext) -> list[ActionLike]:
        seen.append(context)
        return [named("a"), named("b")]

    resolved = await resolve_actions(generator, ADMIN)

    assert seen == [ADMIN]
    assert seen[0] is ADMIN
    assert names(resolved) == ["a", "b"]


async def test_resolve_awaits_async_generator_when_source_is_a_coroutine_function() -> None:
    seen: list[ActionContext] = []

    async def generator(context: ActionContext) -> list[ActionLike]:
        seen.append(context)
        return [FETCH_NAME, named("b")]

    resolved = await resolve_actions(generator, VIEWER)

    assert seen == [VIEWER]
    assert names(resolved) == ["fetchNameForUserId", "b"]


async def test_resolve_collects_items_when_generator_yields_them() -> None:
    def generator(context: ActionContext) -> Iterator[ActionLike]:
        yield named("a")
        yield FETCH_NAME

    resolved = await resolve_actions(generator, ActionContext())

    assert names(resolved) == ["a", "fetchNameForUserId"]


async def test_resolve_accepts_tuple_when_generator_returns_a_tuple() -> None:
    def generator(context: ActionContext) -> tuple[Action, ...]:
        return (named("a"),)

    assert names(await resolve_actions(generator, ActionContext())) == ["a"]


async def test_resolve_adds_admin_action_when_properties_say_admin() -> None:
    admin = await resolve_actions(by_role, ADMIN)
    viewer = await resolve_actions(by_role, VIEWER)

    assert names(admin) == ["fetchNameForUserId", "deleteUser"]
    assert names(viewer) == ["fetchNameForUserId"]


async def test_resolve_uses_page_url_when_generator_reads_it() -> None:
    async def generator(context: ActionContext) -> list[ActionLike]:
        if context.url is not None and context.url.endswith("/orders"):
            return [named("cancelOrder")]
        return []

    assert names(await resolve_actions(generator, VIEWER)) == ["cancelOrder"]
    assert names(await resolve_actions(generator, ADMIN)) == []


async def test_resolve_calls_generator_again_when_a_new_request_arrives() -> None:
    calls: list[str | None] = []

    def generator(context: ActionContext) -> list[ActionLike]:
        calls.append(context.url)
        return [named("a")]

    await resolve_actions(generator, ADMIN)
    await resolve_actions(generator, VIEWER)

    assert calls == ["https://app.example/admin", "https://app.example/orders"]


async def test_resolve_treats_action_as_single_item_when_action_is_passed_as_source() -> None:
    # An Action is callable (it calls its handler), yet it is never treated as a generator.
    calls: list[object] = []
    declared = Action(name="a", handler=lambda **kwargs: calls.append(kwargs))
    source: Any = declared

    with pytest.raises(ActionDefinitionError, match="not a single item"):
        await resolve_actions(source, ActionContext())

    assert calls == []


# --- errors -------------------------------------------------------------------------------


async def test_resolve_raises_definition_error_naming_it_when_two_actions_share_a_name() -> None:
    with pytest.raises(ActionDefinitionError, match="two actions") as caught:
        await resolve_actions([named("a"), named("dup"), named("dup")], ActionContext())

    assert caught.value.action_name == "dup"


async def test_resolve_raises_definition_error_when_dict_and_action_share_a_name() -> None:
    def generator(context: ActionContext) -> list[ActionLike]:
        return [FETCH_NAME, named("fetchNameForUserId")]

    with pytest.raises(ActionDefinitionError, match="two actions") as caught:
        await resolve_actions(generator, ActionContext())

    assert caught.value.action_name == "fetchNameForUserId"


@pytest.mark.parametrize("is_async", [False, True])
async def test_resolve_raises_definition_error_when_generator_returns_none(is_async: bool) -> None:
    def sync_generator(context: ActionContext) -> None:
        return None

    async def async_generator(context: ActionContext) -> None:
        return None

    generator: Any = async_generator if is_async else sync_generator

    with pytest.raises(ActionDefinitionError, match="returned None"):
        await resolve_actions(generator, ActionContext())


@pytest.mark.parametrize("item", [named("a"), FETCH_NAME, "fetchNameForUserId", b"a"])
async def test_resolve_raises_definition_error_when_generator_returns_a_single_item(
    item: Any,
) -> None:
    def generator(context: ActionContext) -> Any:
        return item

    with pytest.raises(ActionDefinitionError, match="not a single item"):
        await resolve_actions(generator, ActionContext())


@pytest.mark.parametrize("declared", [42, 2.5, True])
async def test_resolve_raises_definition_error_when_generator_returns_a_non_list(
    declared: Any,
) -> None:
    def generator(context: ActionContext) -> Any:
        return declared

    with pytest.raises(ActionDefinitionError, match="list of actions"):
        await resolve_actions(generator, ActionContext())


async def test_resolve_raises_definition_error_when_static_source_is_a_single_dict() -> None:
    source: Any = FETCH_NAME

    with pytest.raises(ActionDefinitionError, match="not a single item"):
        await resolve_actions(source, ActionContext())


@pytest.mark.parametrize("item", ["fetchNameForUserId", 3, None, ["a"]])
async def test_resolve_raises_definition_error_when_item_is_not_an_action_or_dict(
    item: Any,
) -> None:
    with pytest.raises(ActionDefinitionError, match="neither an Action nor a dict"):
        await resolve_actions([named("ok"), item], ActionContext())


async def test_resolve_raises_definition_error_when_a_dict_is_declared_wrongly() -> None:
    broken = {**FETCH_NAME, "parameters": [{"name": "userId", "type": "uuid"}]}

    with pytest.raises(ActionDefinitionError, match="unknown type 'uuid'") as caught:
        await resolve_actions([broken], ActionContext())

    assert caught.value.action_name == "fetchNameForUserId"


async def test_resolve_propagates_error_when_generator_raises() -> None:
    def generator(context: ActionContext) -> list[ActionLike]:
        raise LookupError("tenant not found")

    with pytest.raises(LookupError, match="tenant not found"):
        await resolve_actions(generator, ActionContext())


# --- ActionContext ------------------------------------------------------------------------


def test_context_repr_hides_header_values_when_headers_hold_credentials() -> None:
    context = ActionContext(
        properties={"role": "admin"},
        headers={"authorization": "Bearer secret-token-123", "cookie": "session=abc123"},
    )

    assert "secret-token-123" not in repr(context)
    assert "session=abc123" not in repr(context)
    assert "secret-token-123" not in str(context)
    assert context.headers["authorization"] == "Bearer secret-token-123"
