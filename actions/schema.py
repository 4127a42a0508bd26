"""Parameter tree -> JSON Schema (what the model is shown) and pydantic model (what validates)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainValidator,
    StrictBool,
    StrictStr,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

from copilot_runtime.actions.model import Parameter

JsonSchema = dict[str, JsonValue]


def _number(value: object) -> int | float:
    # One check instead of an int|float union, so an error reads "should be a number" once.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("number_type", "Input should be a number")
    return value


Number = Annotated[int | float, PlainValidator(_number)]
JsonObject = dict[str, JsonValue]

# Types follow zod's reading of CopilotKit's schema: no coercion ("3" is not a number), while
# keys the schema does not name are dropped rather than refused.
SCALARS: dict[str, Any] = {"string": StrictStr, "number": Number, "boolean": StrictBool}


def parameters_json_schema(parameters: Sequence[Parameter]) -> JsonSchema:
    """The JSON Schema CopilotKit derives from a parameter list (an object of named fields)."""
    return _object_schema(parameters, description="")


def _object_schema(parameters: Sequence[Parameter], description: str) -> JsonSchema:
    schema: JsonSchema = {"type": "object"}
    if description:
        schema["description"] = description
    schema["properties"] = {p.name: _parameter_schema(p) for p in parameters}
    required: list[JsonValue] = [p.name for p in parameters if p.required]
    if required:
        schema["required"] = required
    return schema


def _parameter_schema(parameter: Parameter) -> JsonSchema:
    if parameter.type == "object":
        if parameter.attributes is None:
            return _described({"type": "object"}, parameter.description)
        return _object_schema(parameter.attributes, parameter.description)
    if parameter.type.endswith("[]"):
        item = Parameter(
            name=parameter.name,
            type=parameter.type.removesuffix("[]"),  # type: ignore[arg-type]  # a known scalar
            enum=parameter.enum,
            attributes=parameter.attributes,
        )
        return _described(
            {"type": "array", "items": _parameter_schema(item)}, parameter.description
        )
    schema: JsonSchema = {"type": parameter.type}
    if parameter.enum is not None:
        schema["enum"] = list(parameter.enum)
    return _described(schema, parameter.description)


def _described(schema: JsonSchema, description: str) -> JsonSchema:
    if description:
        schema["description"] = description
    return schema


@lru_cache(maxsize=1024)
def arguments_model(action_name: str, parameters: tuple[Parameter, ...]) -> type[BaseModel]:
    """A pydantic model validating an action's arguments; cached, since actions repeat per request.

    Fields are stored under positional names with the parameter name as alias, so any JSON key
    works (even one that clashes with a BaseModel attribute).
    """
    return _model(f"{action_name}Arguments", parameters)


def _model(model_name: str, parameters: Sequence[Parameter]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for index, parameter in enumerate(parameters):
        annotation = _annotation(f"{model_name}_{parameter.name}", parameter)
        if parameter.required:
            fields[f"f{index}"] = (annotation, Field(alias=parameter.name))
        else:
            fields[f"f{index}"] = (annotation | None, Field(default=None, alias=parameter.name))
    config = ConfigDict(extra="ignore", populate_by_name=False)
    return create_model(model_name, __config__=config, **fields)


def _annotation(model_name: str, parameter: Parameter) -> Any:
    if parameter.type.endswith("[]"):
        item = _item_annotation(model_name, parameter, parameter.type.removesuffix("[]"))
        return list[item]  # type: ignore[valid-type]  # built at run time
    return _item_annotation(model_name, parameter, parameter.type)


def _item_annotation(model_name: str, parameter: Parameter, type_: str) -> Any:
    if type_ == "object":
        if parameter.attributes is None:
            return JsonObject
        return _model(model_name, parameter.attributes)
    if type_ == "string" and parameter.enum is not None:
        return Literal[parameter.enum]
    return SCALARS[type_]


def validate_arguments(
    action_name: str, parameters: Sequence[Parameter], arguments: Any
) -> dict[str, JsonValue]:
    """Validate raw arguments and return them as plain JSON values, keyed by parameter name.

    Raises:
        ValidationError: the arguments do not fit the parameters.
    """
    model = arguments_model(action_name, tuple(parameters))
    validated = model.model_validate(arguments)
    dumped: dict[str, JsonValue] = validated.model_dump(by_alias=True, exclude_unset=True)
    return dumped


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, naming the argument path, for the model to correct itself."""
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"]) or "(arguments)"
        lines.append(f"{location}: {item['msg']}")
    return "; ".join(lines)
