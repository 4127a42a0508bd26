"""Action, Parameter and ActionContext: what a user declares and what a request tells it."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import JsonValue

from copilot_runtime.actions.errors import ActionDefinitionError

ParameterType = Literal[
    "string", "number", "boolean", "object", "string[]", "number[]", "boolean[]", "object[]"
]
PARAMETER_TYPES: frozenset[str] = frozenset(get_args(ParameterType))

# The same rule CopilotKit and OpenAI apply to function names.
ACTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # used with fullmatch: "$" allows a final \n
# Top-level parameters arrive as keyword arguments, so they must be identifiers.
PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONTEXT_ARGUMENT = "context"
# StructuredTool's own keyword arguments: a parameter of these names would never reach the handler.
RESERVED_PARAMETERS = frozenset({"self", "config", "run_manager", "callbacks"})

Handler = Callable[..., Any]
"""A sync or async callable taking the action's arguments as keyword arguments."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One argument of an action, in CopilotKit's shape."""

    name: str
    """The argument name the model fills and the handler receives."""
    type: ParameterType = "string"
    """A CopilotKit type: string, number, boolean, object, or one of those followed by []."""
    description: str = ""
    """Shown to the model; say what the value means and its format."""
    required: bool = True
    """Whether the model must provide it (CopilotKit's default is true)."""
    enum: Sequence[str] | None = None
    """Allowed values, for string parameters only (stored as a tuple)."""
    attributes: Sequence[Parameter] | None = None
    """The fields of an object or of each element of an object[] (stored as a tuple)."""

    def __post_init__(self) -> None:
        # Lists are accepted for convenience; tuples keep the value hashable (schemas are cached).
        # A bare string is left alone so check_parameters can refuse it (tuple("red") splits it).
        if self.enum is not None and not isinstance(self.enum, tuple | str):
            object.__setattr__(self, "enum", tuple(self.enum))
        if self.attributes is not None and not isinstance(self.attributes, tuple):
            object.__setattr__(self, "attributes", tuple(self.attributes))


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionContext:
    """What the runtime knows about the request an actions generator is called for."""

    properties: Mapping[str, JsonValue] = field(default_factory=dict)
    """The frontend's custom properties (CopilotKit `properties`, AG-UI `forwardedProps`)."""
    url: str | None = None
    """The frontend page URL when the protocol carries it, else None."""
    request_url: str | None = None
    """The URL of the runtime endpoint this request reached."""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The request headers, lower-cased. Left out of repr so credentials never reach a log."""
    agent_id: str = "default"
    """The agent the request is for."""
    thread_id: str | None = None
    """The conversation thread, when the request belongs to one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """A backend action: the model may call it, the server runs its handler."""

    name: str
    """Unique per request; letters, digits, '_' and '-' (at most 64)."""
    description: str = ""
    """Tells the model when to use the action."""
    parameters: Sequence[Parameter] = ()
    """The arguments, validated before the handler runs (stored as a tuple)."""
    handler: Handler
    """Called with the arguments as keyword arguments (plus `context` if it declares one)."""
    timeout: float | None = None
    """Seconds a call may take before the model reads a "timed out" error result; None takes
    the runtime's (COPILOT_ACTION_TIMEOUT, 120 s by default)."""
    wants_context: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _is_text(self.name) or not ACTION_NAME.fullmatch(self.name):
            raise ActionDefinitionError(str(self.name), "the name must match ^[A-Za-z0-9_-]{1,64}$")
        if not callable(self.handler):
            raise ActionDefinitionError(self.name, "the handler is not callable")
        if self.timeout is not None and not _is_positive_number(self.timeout):
            raise ActionDefinitionError(self.name, "timeout must be a positive number of seconds")
        if not isinstance(self.parameters, tuple):
            object.__setattr__(self, "parameters", tuple(self.parameters))
        check_parameters(self.name, self.parameters, top_level=True)
        wants_context = accepts_context(self.handler)
        if wants_context and any(p.name == CONTEXT_ARGUMENT for p in self.parameters):
            raise ActionDefinitionError(
                self.name,
                "a parameter named 'context' clashes with the handler's context argument",
            )
        object.__setattr__(self, "wants_context", wants_context)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the handler directly, so a decorated function stays usable in code and tests."""
        return self.handler(*args, **kwargs)


def _is_positive_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_text(value: object) -> bool:
    # Declarations often come from dicts, so the annotations are not trusted at run time.
    return isinstance(value, str)


def accepts_context(handler: Handler) -> bool:
    """Whether the handler asks for the ActionContext by a parameter named `context`."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # some builtins and C callables have no signature
        return False
    return CONTEXT_ARGUMENT in signature.parameters


def check_parameters(
    action_name: str, parameters: Sequence[Parameter], *, top_level: bool, path: str = ""
) -> None:
    """Raise ActionDefinitionError for the first wrongly declared parameter."""
    seen: set[str] = set()
    for parameter in parameters:
        if not isinstance(parameter, Parameter):
            raise ActionDefinitionError(action_name, f"{path}{parameter!r} is not a Parameter")
        where = f"parameter {path}{parameter.name!r}"
        if not _is_text(parameter.name) or not parameter.name:
            raise ActionDefinitionError(action_name, f"{where} needs a non-empty name")
        if top_level and not PARAMETER_NAME.fullmatch(parameter.name):
            raise ActionDefinitionError(action_name, f"{where} must be a Python identifier")
        if top_level and parameter.name in RESERVED_PARAMETERS:
            reserved = ", ".join(sorted(RESERVED_PARAMETERS))
            raise ActionDefinitionError(action_name, f"{where} is reserved ({reserved})")
        if parameter.name in seen:
            raise ActionDefinitionError(action_name, f"{where} is declared twice")
        seen.add(parameter.name)
        _check_parameter_shape(action_name, parameter, where)
        if parameter.attributes:
            check_parameters(
                action_name,
                parameter.attributes,
                top_level=False,
                path=f"{path}{parameter.name}.",
            )


def _check_parameter_shape(action_name: str, parameter: Parameter, where: str) -> None:
    if parameter.type not in PARAMETER_TYPES:
        known = ", ".join(sorted(PARAMETER_TYPES))
        raise ActionDefinitionError(
            action_name, f"{where} has unknown type {parameter.type!r} (known: {known})"
        )
    if parameter.enum is not None:
        if parameter.type not in ("string", "string[]"):
            raise ActionDefinitionError(action_name, f"{where}: enum is only for strings")
        if (
            isinstance(parameter.enum, str)
            or not parameter.enum
            or not all(isinstance(v, str) for v in parameter.enum)
        ):
            raise ActionDefinitionError(action_name, f"{where}: enum must list strings")
    if not isinstance(parameter.description, str):
        raise ActionDefinitionError(action_name, f"{where}: description must be a string")
    if parameter.attributes is not None and parameter.type not in ("object", "object[]"):
        raise ActionDefinitionError(
            action_name, f"{where}: attributes are only for object and object[]"
        )
