"""What users declare: actions, their parameters, and the context a request gives them."""

from copilot_runtime.actions.coerce import action_from_dict
from copilot_runtime.actions.decorator import action
from copilot_runtime.actions.errors import (
    ActionDefinitionError,
    ActionError,
    ActionFailedError,
    failure_summary,
    loggable,
    user_failure_messages,
)
from copilot_runtime.actions.limits import ActionLimits
from copilot_runtime.actions.model import Action, ActionContext, Handler, Parameter, ParameterType
from copilot_runtime.actions.resolve import (
    ActionGenerator,
    ActionLike,
    ActionSource,
    resolve_actions,
)
from copilot_runtime.actions.schema import parameters_json_schema, validate_arguments
from copilot_runtime.actions.tools import run_action, tool_from_action

__all__ = [
    "Action",
    "ActionContext",
    "ActionDefinitionError",
    "ActionError",
    "ActionFailedError",
    "ActionGenerator",
    "ActionLike",
    "ActionLimits",
    "ActionSource",
    "Handler",
    "Parameter",
    "ParameterType",
    "action",
    "action_from_dict",
    "failure_summary",
    "loggable",
    "parameters_json_schema",
    "resolve_actions",
    "run_action",
    "tool_from_action",
    "user_failure_messages",
    "validate_arguments",
]
