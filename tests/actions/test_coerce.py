"""action_from_dict: actions declared as dicts in the shape of CopilotKit's docs."""

from typing import Any

import pytest

from copilot_runtime.actions import (
    Action,
    ActionDefinitionError,
    Parameter,
    action_from_dict,
    parameters_json_schema,
)


async def fetch_name_for_user_id(userId: str) -> dict[str, str]:
    return {"name": "Darth Doe"}


def seed() -> dict[str, Any]:
    """The example of CopilotKit's "Backend Actions" page, key for key."""
    return {
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
        "handler": fetch_name_for_user_id,
    }


def noop(**kwargs: Any) -> None:
    return None


def test_action_from_dict_builds_action_when_given_copilotkit_docs_example() -> None:
    declared = action_from_dict(seed())

    assert declared == Action(
        name="fetchNameForUserId",
        description="Fetches user name from the database for a given ID.",
        parameters=(
            Parameter(
                name="userId",
                type="string",
                description="The ID of the user to fetch data for.",
                required=True,
            ),
        ),
        handler=fetch_name_for_user_id,
    )


def test_action_from_dict_gives_copilotkit_schema_when_given_docs_example() -> None:
    declared = action_from_dict(seed())

    assert parameters_json_schema(declared.parameters) == {
        "type": "object",
        "properties": {
            "userId": {"type": "string", "description": "The ID of the user to fetch data for."}
        },
        "required": ["userId"],
    }


async def test_action_from_dict_keeps_handler_when_given_docs_example() -> None:
    declared = action_from_dict(seed())

    assert await declared(userId="42") == {"name": "Darth Doe"}


def test_action_from_dict_defaults_to_required_string_when_type_and_required_omitted() -> None:
    declared = action_from_dict({"name": "greet", "parameters": [{"name": "who"}], "handler": noop})

    assert declared.parameters == (
        Parameter(name="who", type="string", description="", required=True),
    )


def test_action_from_dict_defaults_to_no_description_and_parameters_when_omitted() -> None:
    declared = action_from_dict({"name": "ping", "handler": noop})

    assert (declared.description, declared.parameters) == ("", ())


def test_action_from_dict_gives_no_parameters_when_parameters_is_none() -> None:
    declared = action_from_dict({"name": "ping", "parameters": None, "handler": noop})

    assert declared.parameters == ()


def test_action_from_dict_reads_every_type_when_all_types_declared() -> None:
    types = ["string", "number", "boolean", "object", "string[]", "number[]", "boolean[]"]
    items: list[dict[str, Any]] = [{"name": f"p{i}", "type": t} for i, t in enumerate(types)]
    items.append({"name": "rows", "type": "object[]", "attributes": [{"name": "id"}]})

    declared = action_from_dict({"name": "all", "parameters": items, "handler": noop})

    assert [p.type for p in declared.parameters] == [*types, "object[]"]


def test_action_from_dict_reads_nested_attributes_when_three_levels_deep() -> None:
    declared = action_from_dict(
        {
            "name": "createOrder",
            "parameters": [
                {
                    "name": "order",
                    "type": "object",
                    "description": "The order.",
                    "attributes": [
                        {
                            "name": "customer",
                            "type": "object",
                            "attributes": [
                                {
                                    "name": "address",
                                    "type": "object",
                                    "required": False,
                                    "attributes": [
                                        {"name": "zip", "description": "Postal code"},
                                        {"name": "country", "enum": ["FR", "DE"]},
                                    ],
                                }
                            ],
                        },
                        {
                            "name": "lines",
                            "type": "object[]",
                            "attributes": [{"name": "qty", "type": "number"}],
                        },
                    ],
                }
            ],
            "handler": noop,
        }
    )

    assert declared.parameters == (
        Parameter(
            name="order",
            type="object",
            description="The order.",
            attributes=(
                Parameter(
                    name="customer",
                    type="object",
                    attributes=(
                        Parameter(
                            name="address",
                            type="object",
                            required=False,
                            attributes=(
                                Parameter(name="zip", description="Postal code"),
                                Parameter(name="country", enum=("FR", "DE")),
                            ),
                        ),
                    ),
                ),
                Parameter(
                    name="lines",
                    type="object[]",
                    attributes=(Parameter(name="qty", type="number"),),
                ),
            ),
        ),
    )


def test_action_from_dict_reads_optional_parameter_when_required_is_false() -> None:
    declared = action_from_dict(
        {"name": "search", "parameters": [{"name": "limit", "required": False}], "handler": noop}
    )

    assert declared.parameters[0].required is False


def test_action_from_dict_accepts_parameter_objects_when_mixed_with_dicts() -> None:
    declared = action_from_dict(
        {
            "name": "mixed",
            "parameters": [Parameter(name="a", type="number"), {"name": "b"}],
            "handler": noop,
        }
    )

    assert declared.parameters == (Parameter(name="a", type="number"), Parameter(name="b"))


def test_action_from_dict_accepts_tuple_when_parameters_is_a_tuple() -> None:
    declared = action_from_dict({"name": "t", "parameters": ({"name": "a"},), "handler": noop})

    assert declared.parameters == (Parameter(name="a"),)


# --- definition errors --------------------------------------------------------------------


def test_action_from_dict_raises_definition_error_when_name_is_missing() -> None:
    with pytest.raises(ActionDefinitionError, match="no 'name'"):
        action_from_dict({"description": "Nameless", "handler": noop})


def test_action_from_dict_raises_definition_error_naming_action_when_handler_is_missing() -> None:
    declaration = seed()
    del declaration["handler"]

    with pytest.raises(ActionDefinitionError, match="no 'handler'") as caught:
        action_from_dict(declaration)

    assert caught.value.action_name == "fetchNameForUserId"


def test_action_from_dict_raises_definition_error_when_handler_is_not_callable() -> None:
    declaration = {**seed(), "handler": "fetch_name_for_user_id"}

    with pytest.raises(ActionDefinitionError, match="not callable") as caught:
        action_from_dict(declaration)

    assert caught.value.action_name == "fetchNameForUserId"


def test_action_from_dict_raises_definition_error_naming_key_when_action_key_is_unknown() -> None:
    declaration = {**seed(), "available": "remote"}

    with pytest.raises(ActionDefinitionError, match="unknown keys") as caught:
        action_from_dict(declaration)

    assert caught.value.action_name == "fetchNameForUserId"
    assert "available" in caught.value.problem


def test_action_from_dict_raises_definition_error_naming_key_when_parameter_key_is_unknown() -> (
    None
):
    declaration = {
        "name": "search",
        "parameters": [{"name": "limit", "optional": True}],
        "handler": noop,
    }

    with pytest.raises(ActionDefinitionError, match="unknown keys") as caught:
        action_from_dict(declaration)

    assert caught.value.action_name == "search"
    assert "optional" in caught.value.problem
    assert "limit" in caught.value.problem


def test_action_from_dict_raises_definition_error_naming_type_when_type_is_unknown() -> None:
    declaration = {"name": "count", "parameters": [{"name": "n", "type": "int"}], "handler": noop}

    with pytest.raises(ActionDefinitionError, match="unknown type 'int'") as caught:
        action_from_dict(declaration)

    assert caught.value.action_name == "count"


def test_action_from_dict_raises_definition_error_when_nested_type_is_unknown() -> None:
    declaration = {
        "name": "ship",
        "parameters": [
            {"name": "address", "type": "object", "attributes": [{"name": "zip", "type": "zip"}]}
        ],
        "handler": noop,
    }

    with pytest.raises(ActionDefinitionError, match="unknown type 'zip'") as caught:
        action_from_dict(declaration)

    assert "address." in caught.value.problem


@pytest.mark.parametrize("required", ["yes", 1, None, "true"])
def test_action_from_dict_raises_definition_error_when_required_is_not_a_bool(
    required: Any,
) -> None:
    declaration = {
        "name": "search",
        "parameters": [{"name": "q", "required": required}],
        "handler": noop,
    }

    with pytest.raises(ActionDefinitionError, match="'required' must be true or false"):
        action_from_dict(declaration)


@pytest.mark.parametrize("parameters", [{"name": "q"}, "q", 3])
def test_action_from_dict_raises_definition_error_when_parameters_is_not_a_list(
    parameters: Any,
) -> None:
    with pytest.raises(ActionDefinitionError, match="must be a list"):
        action_from_dict({"name": "search", "parameters": parameters, "handler": noop})


def test_action_from_dict_raises_definition_error_when_attributes_is_not_a_list() -> None:
    declaration = {
        "name": "ship",
        "parameters": [{"name": "address", "type": "object", "attributes": {"name": "zip"}}],
        "handler": noop,
    }

    with pytest.raises(ActionDefinitionError, match="must be a list") as caught:
        action_from_dict(declaration)

    assert "address" in caught.value.problem


@pytest.mark.parametrize("item", ["userId", 3, None])
def test_action_from_dict_raises_definition_error_when_parameter_is_not_a_dict(item: Any) -> None:
    with pytest.raises(ActionDefinitionError, match="is not a dict"):
        action_from_dict({"name": "lookup", "parameters": [item], "handler": noop})


@pytest.mark.parametrize("parameter", [{"type": "string"}, {"name": ""}, {"name": 7}])
def test_action_from_dict_raises_definition_error_when_parameter_name_is_missing(
    parameter: dict[str, Any],
) -> None:
    with pytest.raises(ActionDefinitionError, match="non-empty 'name'"):
        action_from_dict({"name": "lookup", "parameters": [parameter], "handler": noop})


def test_action_from_dict_raises_definition_error_when_description_is_not_a_string() -> None:
    with pytest.raises(ActionDefinitionError, match="'description' must be a string"):
        action_from_dict({"name": "lookup", "description": ["x"], "handler": noop})


@pytest.mark.parametrize("name", ["fetch name", "", "a" * 65])
def test_action_from_dict_raises_definition_error_when_name_breaks_the_rule(name: str) -> None:
    with pytest.raises(ActionDefinitionError, match="name must match"):
        action_from_dict({"name": name, "handler": noop})


def test_action_from_dict_raises_definition_error_when_enum_is_on_a_number() -> None:
    declaration = {
        "name": "resize",
        "parameters": [{"name": "size", "type": "number", "enum": ["1", "2"]}],
        "handler": noop,
    }

    with pytest.raises(ActionDefinitionError, match="enum is only for strings"):
        action_from_dict(declaration)


def test_action_from_dict_raises_definition_error_when_context_parameter_clashes() -> None:
    def handler(context: object, city: str) -> str:
        return city

    declaration = {
        "name": "weather",
        "parameters": [{"name": "context"}, {"name": "city"}],
        "handler": handler,
    }

    with pytest.raises(ActionDefinitionError, match="clashes"):
        action_from_dict(declaration)
