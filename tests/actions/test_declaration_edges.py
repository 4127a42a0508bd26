"""Declarations that used to slip through (found by review): each must fail loudly or work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypedDict

import pytest

from copilot_runtime.actions import (
    Action,
    ActionContext,
    ActionDefinitionError,
    Parameter,
    action,
    action_from_dict,
    resolve_actions,
)


def noop(**kwargs: Any) -> None:
    return None


def test_enum_given_as_one_string_is_refused_instead_of_split_into_letters() -> None:
    with pytest.raises(ActionDefinitionError, match="enum must list strings"):
        Action(name="paint", parameters=[Parameter(name="color", enum="red")], handler=noop)
    with pytest.raises(ActionDefinitionError, match="enum must list strings"):
        action_from_dict(
            {"name": "paint", "parameters": [{"name": "color", "enum": "red"}], "handler": noop}
        )


@pytest.mark.parametrize("name", ["ok\n", "bad name", ""])
def test_action_name_with_trailing_newline_or_space_is_refused(name: str) -> None:
    with pytest.raises(ActionDefinitionError, match="name must match"):
        Action(name=name, handler=noop)


def test_parameter_name_with_trailing_newline_is_refused() -> None:
    with pytest.raises(ActionDefinitionError, match="Python identifier"):
        Action(name="weather", parameters=[Parameter(name="city\n")], handler=noop)


@pytest.mark.parametrize("reserved", ["config", "run_manager", "callbacks", "self"])
def test_parameter_names_langchain_keeps_for_itself_are_refused(reserved: str) -> None:
    with pytest.raises(ActionDefinitionError, match="reserved"):
        Action(name="x", parameters=[Parameter(name=reserved)], handler=noop)


def test_null_parameter_description_becomes_empty_not_the_word_none() -> None:
    declared = action_from_dict(
        {"name": "x", "parameters": [{"name": "a", "description": None}], "handler": noop}
    )
    assert declared.parameters[0].description == ""


def test_non_string_parameter_description_is_refused() -> None:
    with pytest.raises(ActionDefinitionError, match="description must be a string"):
        action_from_dict(
            {"name": "x", "parameters": [{"name": "a", "description": 3}], "handler": noop}
        )


class Broken(TypedDict):
    when: Missing  # type: ignore[name-defined]  # noqa: F821  # unresolvable on purpose


def test_unresolvable_hint_inside_typeddict_is_a_definition_error() -> None:
    def book(slot: Broken) -> None:
        return None

    with pytest.raises(ActionDefinitionError, match="Broken"):
        action(book)


async def test_async_generator_that_yields_actions_is_accepted() -> None:
    async def generator(context: ActionContext) -> AsyncIterator[Action]:
        yield Action(name="first", handler=noop)
        if context.properties.get("role") == "admin":
            yield Action(name="second", handler=noop)

    admin = await resolve_actions(generator, ActionContext(properties={"role": "admin"}))
    viewer = await resolve_actions(generator, ActionContext())
    assert [a.name for a in admin] == ["first", "second"]
    assert [a.name for a in viewer] == ["first"]
