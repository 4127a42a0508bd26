"""Action, Parameter and ActionContext: construction, defaults and definition errors."""

import dataclasses
import functools
from typing import Any

import pytest

from copilot_runtime.actions import (
    Action,
    ActionContext,
    ActionDefinitionError,
    ActionError,
    ActionFailedError,
    Parameter,
)


def noop(**kwargs: Any) -> None:
    return None


def wants_context(context: ActionContext, city: str) -> str:
    return city


# --- Parameter ----------------------------------------------------------------------------


def test_parameter_defaults_to_required_string_when_only_named() -> None:
    parameter = Parameter(name="city")

    assert (parameter.type, parameter.description, parameter.required) == ("string", "", True)
    assert parameter.enum is None
    assert parameter.attributes is None


def test_parameter_stores_tuples_when_given_lists() -> None:
    enum: Any = ["red", "blue"]
    attributes: Any = [Parameter(name="zip")]

    parameter = Parameter(name="color", enum=enum)
    address = Parameter(name="address", type="object", attributes=attributes)

    assert parameter.enum == ("red", "blue")
    assert address.attributes == (Parameter(name="zip"),)
    # Hashable, so equal declarations share cached schemas.
    assert hash(address) == hash(
        Parameter(name="address", type="object", attributes=(Parameter(name="zip"),))
    )


def test_parameter_is_immutable_when_constructed() -> None:
    parameter = Parameter(name="city")

    with pytest.raises(dataclasses.FrozenInstanceError):
        parameter.name = "town"  # type: ignore[misc]  # asserting the dataclass is frozen


# --- Action: valid declarations -------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["fetchNameForUserId", "lookup_order", "get-weather", "a", "x" * 64]
)
def test_action_accepts_name_when_it_matches_copilotkit_rule(name: str) -> None:
    assert Action(name=name, handler=noop).name == name


def test_action_stores_parameters_as_tuple_when_given_a_list() -> None:
    parameters: Any = [Parameter(name="city"), Parameter(name="days", type="number")]

    declared = Action(name="weather", parameters=parameters, handler=noop)

    assert declared.parameters == (Parameter(name="city"), Parameter(name="days", type="number"))


def test_action_defaults_to_empty_description_and_parameters_when_omitted() -> None:
    declared = Action(name="ping", handler=noop)

    assert declared.description == ""
    assert declared.parameters == ()


def test_action_calls_handler_when_called_directly() -> None:
    def add(a: int, b: int) -> int:
        return a + b

    declared = Action(
        name="add",
        parameters=(Parameter(name="a", type="number"), Parameter(name="b", type="number")),
        handler=add,
    )

    assert declared(a=2, b=3) == 5


def test_action_is_immutable_when_constructed() -> None:
    declared = Action(name="ping", handler=noop)

    with pytest.raises(dataclasses.FrozenInstanceError):
        declared.name = "pong"  # type: ignore[misc]  # asserting the dataclass is frozen


def test_action_wants_context_when_handler_declares_context_argument() -> None:
    declared = Action(name="weather", parameters=(Parameter(name="city"),), handler=wants_context)

    assert declared.wants_context is True


def test_action_wants_context_when_handler_is_partial_with_context_argument() -> None:
    handler = functools.partial(wants_context, city="Paris")

    assert Action(name="weather", handler=handler).wants_context is True


def test_action_does_not_want_context_when_handler_has_no_context_argument() -> None:
    assert Action(name="ping", handler=noop).wants_context is False


def test_action_does_not_want_context_when_handler_has_no_signature() -> None:
    # `max` is a builtin without an inspectable signature.
    assert Action(name="biggest", handler=max).wants_context is False


def test_action_accepts_parameter_named_context_when_handler_does_not_ask_for_context() -> None:
    declared = Action(name="explain", parameters=(Parameter(name="context"),), handler=noop)

    assert declared.wants_context is False
    assert declared.parameters == (Parameter(name="context"),)


def test_action_accepts_non_identifier_names_when_parameter_is_nested() -> None:
    address = Parameter(name="address", type="object", attributes=(Parameter(name="zip-code"),))

    assert Action(name="ship", parameters=(address,), handler=noop).parameters == (address,)


@pytest.mark.parametrize("type_", ["string", "string[]"])
def test_action_accepts_enum_when_parameter_is_a_string(type_: Any) -> None:
    parameter = Parameter(name="color", type=type_, enum=("red", "blue"))

    assert Action(name="paint", parameters=(parameter,), handler=noop).parameters == (parameter,)


@pytest.mark.parametrize("type_", ["object", "object[]"])
def test_action_accepts_attributes_when_parameter_is_an_object(type_: Any) -> None:
    parameter = Parameter(name="item", type=type_, attributes=(Parameter(name="sku"),))

    assert Action(name="order", parameters=(parameter,), handler=noop).parameters == (parameter,)


# --- Action: definition errors --------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "has space", "dotted.name", "slash/name", "café", "x" * 65])
def test_action_raises_definition_error_when_name_breaks_the_rule(name: str) -> None:
    with pytest.raises(ActionDefinitionError, match="name must match") as caught:
        Action(name=name, handler=noop)

    assert caught.value.action_name == name


def test_action_raises_definition_error_when_name_is_not_a_string() -> None:
    name: Any = 42

    with pytest.raises(ActionDefinitionError, match="name must match"):
        Action(name=name, handler=noop)


def test_action_raises_definition_error_when_handler_is_not_callable() -> None:
    handler: Any = "fetch_user"

    with pytest.raises(ActionDefinitionError, match="not callable") as caught:
        Action(name="fetchUser", handler=handler)

    assert "'fetchUser'" in str(caught.value)


def test_action_raises_definition_error_when_parameter_name_repeats() -> None:
    parameters = (Parameter(name="city"), Parameter(name="city", type="number"))

    with pytest.raises(ActionDefinitionError, match="declared twice") as caught:
        Action(name="weather", parameters=parameters, handler=noop)

    assert "'weather'" in str(caught.value)
    assert "'city'" in str(caught.value)


def test_action_raises_definition_error_naming_path_when_nested_parameter_name_repeats() -> None:
    address = Parameter(
        name="address",
        type="object",
        attributes=(Parameter(name="zip"), Parameter(name="zip")),
    )

    with pytest.raises(ActionDefinitionError, match="declared twice") as caught:
        Action(name="ship", parameters=(address,), handler=noop)

    assert "address." in str(caught.value)
    assert "zip" in str(caught.value)


@pytest.mark.parametrize("bad_type", ["integer", "str", "array", "number[][]", "", "String"])
def test_action_raises_definition_error_when_parameter_type_is_unknown(bad_type: Any) -> None:
    parameter = Parameter(name="count", type=bad_type)

    with pytest.raises(ActionDefinitionError, match="unknown type") as caught:
        Action(name="counter", parameters=(parameter,), handler=noop)

    assert "'counter'" in str(caught.value)
    assert repr(bad_type) in str(caught.value)


def test_action_raises_definition_error_when_nested_parameter_type_is_unknown() -> None:
    bad_type: Any = "date"
    deep = Parameter(
        name="a",
        type="object",
        attributes=(
            Parameter(name="b", type="object", attributes=(Parameter(name="c", type=bad_type),)),
        ),
    )

    with pytest.raises(ActionDefinitionError, match="unknown type") as caught:
        Action(name="deep", parameters=(deep,), handler=noop)

    assert "a.b." in str(caught.value)


@pytest.mark.parametrize("type_", ["number", "boolean", "object", "number[]", "object[]"])
def test_action_raises_definition_error_when_enum_is_on_a_non_string(type_: Any) -> None:
    parameter = Parameter(name="size", type=type_, enum=("1", "2"))

    with pytest.raises(ActionDefinitionError, match="enum is only for strings") as caught:
        Action(name="resize", parameters=(parameter,), handler=noop)

    assert "'resize'" in str(caught.value)
    assert "'size'" in str(caught.value)


@pytest.mark.parametrize("enum", [(), (1, 2), ("red", None)])
def test_action_raises_definition_error_when_enum_does_not_list_strings(enum: Any) -> None:
    parameter = Parameter(name="color", enum=enum)

    with pytest.raises(ActionDefinitionError, match="enum must list strings"):
        Action(name="paint", parameters=(parameter,), handler=noop)


@pytest.mark.parametrize("type_", ["string", "number", "boolean", "string[]", "number[]"])
def test_action_raises_definition_error_when_attributes_are_on_a_non_object(type_: Any) -> None:
    parameter = Parameter(name="zip", type=type_, attributes=(Parameter(name="digits"),))

    with pytest.raises(ActionDefinitionError, match="attributes are only for object") as caught:
        Action(name="ship", parameters=(parameter,), handler=noop)

    assert "'ship'" in str(caught.value)
    assert "'zip'" in str(caught.value)


@pytest.mark.parametrize("name", ["user-id", "1st", "user id", "user.id"])
def test_action_raises_definition_error_when_top_level_parameter_is_not_an_identifier(
    name: str,
) -> None:
    with pytest.raises(ActionDefinitionError, match="Python identifier") as caught:
        Action(name="lookup", parameters=(Parameter(name=name),), handler=noop)

    assert repr(name) in str(caught.value)


def test_action_raises_definition_error_when_parameter_name_is_empty() -> None:
    with pytest.raises(ActionDefinitionError, match="non-empty name"):
        Action(name="lookup", parameters=(Parameter(name=""),), handler=noop)


def test_action_raises_definition_error_when_parameter_is_not_a_parameter() -> None:
    parameters: Any = ({"name": "city"},)

    with pytest.raises(ActionDefinitionError, match="not a Parameter"):
        Action(name="weather", parameters=parameters, handler=noop)


def test_action_raises_definition_error_when_context_parameter_clashes_with_handler() -> None:
    with pytest.raises(ActionDefinitionError, match="clashes") as caught:
        Action(name="weather", parameters=(Parameter(name="context"),), handler=wants_context)

    assert "'weather'" in str(caught.value)
    assert "context" in caught.value.problem


# --- errors -------------------------------------------------------------------------------


def test_definition_error_keeps_action_name_and_problem_when_raised() -> None:
    error = ActionDefinitionError("fetchUser", "the handler is not callable")

    assert error.action_name == "fetchUser"
    assert error.problem == "the handler is not callable"
    assert str(error) == "action 'fetchUser': the handler is not callable"


@pytest.mark.parametrize("error_type", [ActionDefinitionError, ActionFailedError])
def test_action_errors_share_a_base_class_when_caught_together(
    error_type: type[ActionError],
) -> None:
    assert issubclass(error_type, ActionError)
    assert issubclass(ActionError, Exception)


# --- ActionContext ------------------------------------------------------------------------


def test_context_defaults_to_empty_request_data_when_constructed_bare() -> None:
    context = ActionContext()

    assert dict(context.properties) == {}
    assert dict(context.headers) == {}
    assert (context.url, context.request_url, context.thread_id) == (None, None, None)
    assert context.agent_id == "default"


def test_context_repr_shows_properties_and_url_when_printed() -> None:
    context = ActionContext(properties={"role": "admin"}, url="https://app.example/orders")

    assert "'role': 'admin'" in repr(context)
    assert "https://app.example/orders" in repr(context)
