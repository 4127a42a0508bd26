"""Plain dicts in the CopilotKit docs shape -> Action and Parameter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from copilot_runtime.actions.errors import ActionDefinitionError
from copilot_runtime.actions.model import PARAMETER_TYPES, Action, Parameter, ParameterType

ACTION_KEYS = frozenset({"name", "description", "parameters", "handler", "timeout"})
PARAMETER_KEYS = frozenset({"name", "type", "description", "required", "enum", "attributes"})


def action_from_dict(declaration: Mapping[str, Any]) -> Action:
    """Build an Action from `{"name", "description", "parameters": [...], "handler"}`.

    Raises:
        ActionDefinitionError: a key is missing, unknown or of the wrong type.
    """
    name = str(declaration.get("name", "<unnamed>"))
    _reject_unknown_keys(name, declaration, ACTION_KEYS, "the action")
    if "name" not in declaration:
        raise ActionDefinitionError(name, "the action has no 'name'")
    if "handler" not in declaration:
        raise ActionDefinitionError(name, "the action has no 'handler'")
    description = declaration.get("description", "")
    if not isinstance(description, str):
        raise ActionDefinitionError(name, "'description' must be a string")
    return Action(
        name=declaration["name"],
        description=description,
        parameters=_parameters_from_list(name, declaration.get("parameters") or [], ""),
        handler=declaration["handler"],
        timeout=declaration.get("timeout"),
    )


def _parameters_from_list(action_name: str, items: Any, path: str) -> tuple[Parameter, ...]:
    if not isinstance(items, list | tuple):
        raise ActionDefinitionError(action_name, f"{path or 'parameters'} must be a list")
    return tuple(_parameter_from_item(action_name, item, path) for item in items)


def _parameter_from_item(action_name: str, item: Any, path: str) -> Parameter:
    if isinstance(item, Parameter):
        return item
    if not isinstance(item, Mapping):
        raise ActionDefinitionError(action_name, f"parameter {path}{item!r} is not a dict")
    name = item.get("name")
    where = f"parameter {path}{name!r}"
    _reject_unknown_keys(action_name, item, PARAMETER_KEYS, where)
    if not isinstance(name, str) or not name:
        raise ActionDefinitionError(action_name, f"{where} needs a non-empty 'name'")
    type_ = item.get("type", "string")
    if type_ not in PARAMETER_TYPES:
        known = ", ".join(sorted(PARAMETER_TYPES))
        raise ActionDefinitionError(
            action_name, f"{where} has unknown type {type_!r} (known: {known})"
        )
    required = item.get("required", True)
    if not isinstance(required, bool):
        raise ActionDefinitionError(action_name, f"{where}: 'required' must be true or false")
    enum = item.get("enum")
    attributes = item.get("attributes")
    return Parameter(
        name=name,
        type=cast(ParameterType, type_),
        description=item.get("description") or "",
        required=required,
        enum=enum,
        attributes=(
            None
            if attributes is None
            else _parameters_from_list(action_name, attributes, f"{path}{name}.")
        ),
    )


def _reject_unknown_keys(
    action_name: str, declaration: Mapping[str, Any], known: frozenset[str], where: str
) -> None:
    unknown = sorted(set(declaration) - known)
    if unknown:
        raise ActionDefinitionError(
            action_name, f"{where} has unknown keys {unknown} (allowed: {sorted(known)})"
        )
