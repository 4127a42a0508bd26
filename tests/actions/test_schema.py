"""parameters_json_schema (what the model is shown) and validate_arguments (what handlers get)."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from copilot_runtime.actions import Parameter, parameters_json_schema, validate_arguments


def locations(error: ValidationError) -> list[tuple[str | int, ...]]:
    return [tuple(item["loc"]) for item in error.errors()]


ADDRESS = Parameter(
    name="address",
    type="object",
    description="Where to ship.",
    attributes=(
        Parameter(name="street"),
        Parameter(name="zip", description="Postal code"),
        Parameter(
            name="geo",
            type="object",
            required=False,
            attributes=(
                Parameter(name="lat", type="number"),
                Parameter(name="lng", type="number"),
                Parameter(name="source", enum=("gps", "ip"), required=False),
            ),
        ),
    ),
)

# --- parameters_json_schema ---------------------------------------------------------------


@pytest.mark.parametrize("type_", ["string", "number", "boolean"])
def test_json_schema_gives_scalar_type_when_parameter_is_scalar(type_: Any) -> None:
    schema = parameters_json_schema((Parameter(name="value", type=type_, description="A value"),))

    assert schema == {
        "type": "object",
        "properties": {"value": {"type": type_, "description": "A value"}},
        "required": ["value"],
    }


@pytest.mark.parametrize("scalar", ["string", "number", "boolean"])
def test_json_schema_gives_array_of_scalar_when_parameter_is_scalar_list(scalar: str) -> None:
    type_: Any = f"{scalar}[]"

    schema = parameters_json_schema((Parameter(name="values", type=type_, description="Some"),))

    assert schema == {
        "type": "object",
        "properties": {
            "values": {"type": "array", "items": {"type": scalar}, "description": "Some"}
        },
        "required": ["values"],
    }


def test_json_schema_gives_free_object_when_object_has_no_attributes() -> None:
    schema = parameters_json_schema((Parameter(name="payload", type="object"),))

    assert schema == {
        "type": "object",
        "properties": {"payload": {"type": "object"}},
        "required": ["payload"],
    }


def test_json_schema_gives_array_of_free_objects_when_object_list_has_no_attributes() -> None:
    schema = parameters_json_schema((Parameter(name="rows", type="object[]"),))

    assert schema == {
        "type": "object",
        "properties": {"rows": {"type": "array", "items": {"type": "object"}}},
        "required": ["rows"],
    }


def test_json_schema_gives_array_of_objects_when_object_list_has_attributes() -> None:
    rows = Parameter(
        name="rows",
        type="object[]",
        description="Order lines.",
        attributes=(
            Parameter(name="sku", description="Stock unit"),
            Parameter(name="qty", type="number", required=False),
        ),
    )

    assert parameters_json_schema((rows,)) == {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "description": "Order lines.",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string", "description": "Stock unit"},
                        "qty": {"type": "number"},
                    },
                    "required": ["sku"],
                },
            }
        },
        "required": ["rows"],
    }


def test_json_schema_gives_nested_objects_when_attributes_are_three_levels_deep() -> None:
    assert parameters_json_schema((ADDRESS,)) == {
        "type": "object",
        "properties": {
            "address": {
                "type": "object",
                "description": "Where to ship.",
                "properties": {
                    "street": {"type": "string"},
                    "zip": {"type": "string", "description": "Postal code"},
                    "geo": {
                        "type": "object",
                        "properties": {
                            "lat": {"type": "number"},
                            "lng": {"type": "number"},
                            "source": {"type": "string", "enum": ["gps", "ip"]},
                        },
                        "required": ["lat", "lng"],
                    },
                },
                "required": ["street", "zip"],
            }
        },
        "required": ["address"],
    }


def test_json_schema_lists_enum_when_string_has_enum() -> None:
    schema = parameters_json_schema((Parameter(name="color", enum=("red", "blue")),))

    assert schema == {
        "type": "object",
        "properties": {"color": {"type": "string", "enum": ["red", "blue"]}},
        "required": ["color"],
    }


def test_json_schema_puts_enum_on_items_when_string_list_has_enum() -> None:
    schema = parameters_json_schema(
        (Parameter(name="colors", type="string[]", enum=("red", "blue")),)
    )

    assert schema == {
        "type": "object",
        "properties": {
            "colors": {"type": "array", "items": {"type": "string", "enum": ["red", "blue"]}}
        },
        "required": ["colors"],
    }


def test_json_schema_omits_description_when_description_is_empty() -> None:
    schema = parameters_json_schema((Parameter(name="q", description=""),))

    assert schema["properties"] == {"q": {"type": "string"}}


def test_json_schema_omits_required_when_every_parameter_is_optional() -> None:
    schema = parameters_json_schema(
        (Parameter(name="q", required=False), Parameter(name="n", type="number", required=False))
    )

    assert schema == {
        "type": "object",
        "properties": {"q": {"type": "string"}, "n": {"type": "number"}},
    }


def test_json_schema_gives_empty_object_when_there_are_no_parameters() -> None:
    assert parameters_json_schema(()) == {"type": "object", "properties": {}}


def test_json_schema_keeps_declaration_order_when_listing_properties_and_required() -> None:
    parameters = tuple(Parameter(name=name) for name in ("zeta", "alpha", "mid"))

    schema = parameters_json_schema(parameters)

    assert list(schema["properties"]) == ["zeta", "alpha", "mid"]  # type: ignore[arg-type]  # a dict
    assert schema["required"] == ["zeta", "alpha", "mid"]


def test_json_schema_is_plain_json_when_serialised() -> None:
    schema = parameters_json_schema((ADDRESS, Parameter(name="tags", type="string[]")))

    assert json.loads(json.dumps(schema)) == schema


# --- validate_arguments: types ------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("string", "hello"),
        ("string", ""),
        ("number", 3),
        ("number", 2.5),
        ("number", -7),
        ("number", 0),
        ("boolean", True),
        ("boolean", False),
        ("object", {"any": {"nested": [1, "two", None, True]}}),
        ("object", {}),
        ("string[]", ["a", "b"]),
        ("string[]", []),
        ("number[]", [1, 2.5, -3]),
        ("boolean[]", [True, False]),
        ("object[]", [{"a": 1}, {"b": [2]}]),
    ],
)
def test_validate_arguments_returns_value_unchanged_when_type_matches(
    type_: Any, value: Any
) -> None:
    result = validate_arguments("typed", (Parameter(name="x", type=type_),), {"x": value})

    assert result == {"x": value}


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("string", 3),
        ("string", True),
        ("string", None),
        ("string", ["a"]),
        ("number", "3"),
        ("number", "2.5"),
        ("number", True),
        ("number", None),
        ("boolean", 1),
        ("boolean", 0),
        ("boolean", "true"),
        ("boolean", None),
        ("object", "{}"),
        ("object", [{"a": 1}]),
        ("string[]", "a"),
        ("string[]", [1]),
        ("number[]", ["1"]),
        ("number[]", [True]),
        ("boolean[]", [1]),
        ("object[]", {"a": 1}),
        ("object[]", ["a"]),
    ],
)
def test_validate_arguments_raises_naming_argument_when_type_does_not_match(
    type_: Any, value: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_arguments("typed", (Parameter(name="x", type=type_),), {"x": value})

    assert all(loc[0] == "x" for loc in locations(caught.value))


def test_validate_arguments_keeps_ints_as_ints_when_type_is_number() -> None:
    result = validate_arguments(
        "count",
        (Parameter(name="n", type="number"), Parameter(name="ns", type="number[]")),
        {"n": 3, "ns": [1, 2.5]},
    )

    assert type(result["n"]) is int
    assert [type(v) for v in result["ns"]] == [int, float]  # type: ignore[union-attr]  # a list


def test_validate_arguments_keeps_floats_as_floats_when_type_is_number() -> None:
    result = validate_arguments("count", (Parameter(name="n", type="number"),), {"n": 3.0})

    assert type(result["n"]) is float


# --- validate_arguments: required, optional, unknown --------------------------------------


def test_validate_arguments_raises_naming_parameter_when_required_is_missing() -> None:
    parameters = (Parameter(name="city"), Parameter(name="days", type="number"))

    with pytest.raises(ValidationError) as caught:
        validate_arguments("weather", parameters, {"days": 2})

    assert locations(caught.value) == [("city",)]


def test_validate_arguments_raises_naming_path_when_nested_required_is_missing() -> None:
    arguments = {"address": {"street": "1 Main St", "geo": {"lat": 1, "lng": 2}}}

    with pytest.raises(ValidationError) as caught:
        validate_arguments("ship", (ADDRESS,), arguments)

    assert locations(caught.value) == [("address", "zip")]


def test_validate_arguments_raises_naming_path_when_third_level_is_wrong() -> None:
    arguments = {"address": {"street": "s", "zip": "z", "geo": {"lat": "north", "lng": 2}}}

    with pytest.raises(ValidationError) as caught:
        validate_arguments("ship", (ADDRESS,), arguments)

    assert locations(caught.value) == [("address", "geo", "lat")]


def test_validate_arguments_raises_naming_index_when_list_item_misses_a_field() -> None:
    rows = Parameter(name="rows", type="object[]", attributes=(Parameter(name="sku"),))

    with pytest.raises(ValidationError) as caught:
        validate_arguments("order", (rows,), {"rows": [{"sku": "a"}, {"qty": 2}]})

    assert locations(caught.value) == [("rows", 1, "sku")]


def test_validate_arguments_omits_key_when_optional_parameter_is_absent() -> None:
    parameters = (Parameter(name="q"), Parameter(name="limit", type="number", required=False))

    assert validate_arguments("search", parameters, {"q": "shoes"}) == {"q": "shoes"}


def test_validate_arguments_omits_nested_key_when_optional_attribute_is_absent() -> None:
    arguments = {"address": {"street": "s", "zip": "z", "geo": {"lat": 1, "lng": 2}}}

    result = validate_arguments("ship", (ADDRESS,), arguments)

    assert result == arguments


def test_validate_arguments_passes_none_when_optional_parameter_is_null() -> None:
    parameters = (Parameter(name="limit", type="number", required=False),)

    assert validate_arguments("search", parameters, {"limit": None}) == {"limit": None}


def test_validate_arguments_drops_unknown_keys_when_arguments_have_extras() -> None:
    arguments = {
        "address": {
            "street": "s",
            "zip": "z",
            "floor": 3,
            "geo": {"lat": 1, "lng": 2, "alt": 30},
        },
        "priority": "high",
    }

    result = validate_arguments("ship", (ADDRESS,), arguments)

    assert result == {"address": {"street": "s", "zip": "z", "geo": {"lat": 1, "lng": 2}}}


def test_validate_arguments_returns_plain_dicts_when_objects_are_nested() -> None:
    rows = Parameter(name="rows", type="object[]", attributes=(Parameter(name="sku"),))
    arguments = {
        "address": {"street": "s", "zip": "z", "geo": {"lat": 1, "lng": 2}},
        "rows": [{"sku": "a"}],
    }

    result = validate_arguments("ship", (ADDRESS, rows), arguments)

    address: Any = result["address"]
    rows_value: Any = result["rows"]
    assert type(address) is dict
    assert type(address["geo"]) is dict
    assert type(rows_value) is list
    assert type(rows_value[0]) is dict
    assert json.loads(json.dumps(result)) == arguments


def test_validate_arguments_uses_wire_names_when_nested_name_is_not_an_identifier() -> None:
    address = Parameter(name="address", type="object", attributes=(Parameter(name="zip-code"),))

    result = validate_arguments("ship", (address,), {"address": {"zip-code": "75001"}})

    assert result == {"address": {"zip-code": "75001"}}


@pytest.mark.parametrize("name", ["model_config", "model_fields", "copy", "json", "schema", "dict"])
def test_validate_arguments_accepts_parameter_when_name_shadows_a_model_attribute(
    name: str,
) -> None:
    result = validate_arguments("shadow", (Parameter(name=name),), {name: "value"})

    assert result == {name: "value"}


# --- validate_arguments: enums, bad shapes, caching ---------------------------------------


def test_validate_arguments_accepts_value_when_it_is_in_the_enum() -> None:
    parameters = (Parameter(name="color", enum=("red", "blue")),)

    assert validate_arguments("paint", parameters, {"color": "blue"}) == {"color": "blue"}


@pytest.mark.parametrize("value", ["green", "RED", "", 1])
def test_validate_arguments_raises_when_value_is_not_in_the_enum(value: Any) -> None:
    parameters = (Parameter(name="color", enum=("red", "blue")),)

    with pytest.raises(ValidationError) as caught:
        validate_arguments("paint", parameters, {"color": value})

    assert locations(caught.value) == [("color",)]


def test_validate_arguments_raises_naming_index_when_string_list_item_is_not_in_enum() -> None:
    parameters = (Parameter(name="colors", type="string[]", enum=("red", "blue")),)

    with pytest.raises(ValidationError) as caught:
        validate_arguments("paint", parameters, {"colors": ["red", "pink"]})

    assert locations(caught.value) == [("colors", 1)]


def test_validate_arguments_raises_naming_path_when_nested_enum_is_violated() -> None:
    arguments = {"address": {"street": "s", "zip": "z", "geo": {"lat": 1, "lng": 2, "source": "x"}}}

    with pytest.raises(ValidationError) as caught:
        validate_arguments("ship", (ADDRESS,), arguments)

    assert locations(caught.value) == [("address", "geo", "source")]


@pytest.mark.parametrize("arguments", ["", "{}", None, [], ["city"], 3])
def test_validate_arguments_raises_when_arguments_are_not_an_object(arguments: Any) -> None:
    with pytest.raises(ValidationError):
        validate_arguments("weather", (Parameter(name="city", required=False),), arguments)


def test_validate_arguments_accepts_parameter_list_when_not_given_a_tuple() -> None:
    parameters = [Parameter(name="city"), Parameter(name="days", type="number")]

    assert validate_arguments("weather", parameters, {"city": "Oslo", "days": 2}) == {
        "city": "Oslo",
        "days": 2,
    }
    assert parameters_json_schema(parameters) == parameters_json_schema(tuple(parameters))


def test_validate_arguments_uses_current_parameters_when_action_name_is_reused() -> None:
    # Generators may redeclare an action with other parameters on another request.
    first = (Parameter(name="city"),)
    second = (Parameter(name="city", type="number"),)

    assert validate_arguments("weather", first, {"city": "Oslo"}) == {"city": "Oslo"}
    assert validate_arguments("weather", second, {"city": 5}) == {"city": 5}
    with pytest.raises(ValidationError):
        validate_arguments("weather", second, {"city": "Oslo"})
