"""@action: declare an action from a typed Python function and its Google-style docstring."""

from __future__ import annotations

import functools
import inspect
import operator
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias, get_args, get_origin, get_type_hints, overload

from copilot_runtime.actions.errors import ActionDefinitionError
from copilot_runtime.actions.model import (
    CONTEXT_ARGUMENT,
    Action,
    Handler,
    Parameter,
    ParameterType,
)

SCALAR_TYPES: dict[Any, ParameterType] = {
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
}
ARG_LINE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Returns|Return|Raises|Yields|Examples?|Notes?):\s*$"
)

ActionDecorator: TypeAlias = Callable[[Handler], Action]


@overload
def action(handler: Handler, /) -> Action: ...
@overload
def action(
    *, name: str | None = None, description: str | None = None, timeout: float | None = None
) -> ActionDecorator: ...


def action(
    handler: Handler | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
) -> Action | ActionDecorator:
    """Turn a typed function into an Action.

    The parameters come from the type hints (str, int, float, bool, Literal of strings, list of
    those, dict, TypedDict; optional when the hint admits None or there is a default), the
    description from the docstring's text, and each parameter's description from its `Args:`
    section. A parameter named `context` receives the ActionContext instead. `timeout`: seconds
    a call may take (None: the runtime's).

    Example:
        @action
        async def fetch_name_for_user_id(user_id: str) -> dict[str, str]:
            '''Fetch the name of a user.

            Args:
                user_id: The user's id.
            '''
    """

    def decorate(function: Handler) -> Action:
        action_name = name or str(getattr(function, "__name__", ""))
        summary, argument_docs = parse_docstring(inspect.getdoc(function) or "")
        return Action(
            name=action_name,
            description=summary if description is None else description,
            parameters=_parameters_from_signature(action_name, function, argument_docs),
            handler=function,
            timeout=timeout,
        )

    return decorate if handler is None else decorate(handler)


def parse_docstring(docstring: str) -> tuple[str, dict[str, str]]:
    """The text before the first section, and the descriptions in its Args: section."""
    summary: list[str] = []
    arguments: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in docstring.splitlines():
        header = SECTION.match(line.strip())
        if header and not line.startswith((" ", "\t")):
            section, current = header.group(1), None
        elif section is None:
            summary.append(line)
        elif section in ("Args", "Arguments", "Parameters") and line.strip():
            match = ARG_LINE.match(line.strip())
            if (
                match
                and line.startswith(("    ", "\t"))
                and not line.startswith(("        ", "\t\t"))
            ):
                current = match.group(1).lstrip("*")
                arguments[current] = match.group(2).strip()
            elif current is not None:
                arguments[current] = f"{arguments[current]} {line.strip()}".strip()
    return "\n".join(summary).strip(), arguments


def _parameters_from_signature(
    action_name: str, function: Handler, argument_docs: Mapping[str, str]
) -> tuple[Parameter, ...]:
    hints = _type_hints(action_name, function)
    parameters = []
    for argument in inspect.signature(function).parameters.values():
        if argument.name == CONTEXT_ARGUMENT or argument.kind in (
            argument.VAR_POSITIONAL,
            argument.VAR_KEYWORD,
        ):
            continue
        if argument.kind is argument.POSITIONAL_ONLY:
            raise ActionDefinitionError(action_name, f"{argument.name!r} cannot be positional-only")
        hint = hints.get(argument.name, str)
        hint, is_optional = _strip_none(hint)
        parameters.append(
            _parameter(
                action_name,
                argument.name,
                hint,
                description=argument_docs.get(argument.name, ""),
                required=not is_optional and argument.default is inspect.Parameter.empty,
            )
        )
    return tuple(parameters)


def _type_hints(action_name: str, owner: Any) -> dict[str, Any]:
    try:
        return get_type_hints(owner)
    except Exception as error:  # a forward reference that cannot be resolved
        name = getattr(owner, "__name__", repr(owner))
        raise ActionDefinitionError(
            action_name, f"type hints cannot be read ({name}): {error}"
        ) from error


def _strip_none(hint: Any) -> tuple[Any, bool]:
    if get_origin(hint) in (typing.Union, types.UnionType):
        members = [m for m in get_args(hint) if m is not type(None)]
        if len(members) < len(get_args(hint)):
            return (
                members[0] if len(members) == 1 else functools.reduce(operator.or_, members)
            ), True
    return hint, False


def _parameter(
    action_name: str, name: str, hint: Any, *, description: str = "", required: bool = True
) -> Parameter:
    type_, enum, attributes = _shape(action_name, name, hint)
    return Parameter(
        name=name,
        type=type_,
        description=description,
        required=required,
        enum=enum,
        attributes=attributes,
    )


def _shape(
    action_name: str, name: str, hint: Any
) -> tuple[ParameterType, tuple[str, ...] | None, tuple[Parameter, ...] | None]:
    origin = get_origin(hint)
    if hint in SCALAR_TYPES:
        return SCALAR_TYPES[hint], None, None
    if origin is Literal and all(isinstance(v, str) for v in get_args(hint)):
        return "string", tuple(get_args(hint)), None
    if hint in (dict, Mapping) or origin in (dict, Mapping):
        return "object", None, None
    if typing.is_typeddict(hint):
        return "object", None, _typeddict_attributes(action_name, hint)
    if origin in (list, Sequence, tuple) and get_args(hint):
        item = get_args(hint)[0]
        if origin is tuple and get_args(hint)[1:] not in ((...,), ()):
            raise ActionDefinitionError(action_name, f"{name!r}: use tuple[X, ...] or list[X]")
        item_type, enum, attributes = _shape(action_name, name, item)
        if item_type.endswith("[]"):
            raise ActionDefinitionError(action_name, f"{name!r}: lists of lists are not supported")
        return f"{item_type}[]", enum, attributes  # type: ignore[return-value]  # scalar + "[]"
    raise ActionDefinitionError(
        action_name,
        f"parameter {name!r} has unsupported type {hint!r}; use str, int, float, bool, a Literal "
        "of strings, dict, a TypedDict, or a list of these",
    )


def _typeddict_attributes(action_name: str, hint: Any) -> tuple[Parameter, ...]:
    required_keys: frozenset[str] = getattr(hint, "__required_keys__", frozenset())
    attributes = []
    for key, value in _type_hints(action_name, hint).items():
        value, is_optional = _strip_none(value)
        attributes.append(
            _parameter(action_name, key, value, required=key in required_keys and not is_optional)
        )
    return tuple(attributes)
