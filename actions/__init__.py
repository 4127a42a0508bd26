"""What users declare: actions, their parameters, and the context a request gives them."""

from actions.coerce import action_from_dict
from actions.decorator import action
from actions.errors import ActionDefinitionError, ActionError, ActionFailedError, failure_summary
from actions.model import Action, ActionContext, Handler, Parameter, ParameterType
from actions.resolve import ActionGenerator, ActionLike, ActionSource, resolve_actions
from actions.schema import parameters_json_schema, validate_arguments
from actions.tools import tool_from_action

__all__ = [
    "Action",
    "ActionContext",
    "ActionDefinitionError",
    "ActionError",
    "ActionFailedError",
    "ActionGenerator",
    "ActionLike",
    "ActionSource",
    "Handler",
    "Parameter",
    "ParameterType",
    "action",
    "action_from_dict",
    "failure_summary",
    "parameters_json_schema",
    "resolve_actions",
    "tool_from_action",
    "validate_arguments",
]
