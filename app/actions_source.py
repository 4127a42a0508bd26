"""load_actions: the `--actions MODULE:NAME` of the command line, imported and checked.

What it names must be an actions source: a list of actions, a generator called with each
request's ActionContext, or one action. Anything else (the `action` decorator itself, a
module, a class, a string) would start a server whose every run fails, so it is refused
before anything starts, with one line saying what was found and what is wanted.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from copilot_runtime.actions import (
    Action,
    ActionContext,
    ActionDefinitionError,
    ActionSource,
    action,
    resolve_actions,
)

WANTED = "name a list of actions, a generator that takes the request's ActionContext, or an action"


class ActionsSourceError(ValueError):
    """`--actions` names nothing that can serve actions; the message is one line."""


@dataclass(frozen=True, slots=True)
class LoadedActions:
    """An actions source and what the start-up banner says about it."""

    source: ActionSource
    description: str
    """What it is, e.g. "a generator: 3 actions for an empty request context"."""


def load_actions(spec: str, *, is_checked: bool = True) -> LoadedActions:
    """Import `MODULE:NAME` (from the current directory or PYTHONPATH) and check it.

    `is_checked=False` only imports it: a server process of `--workers` or `--reload`, whose
    supervisor checked it already, skips calling a generator at start-up.

    Raises:
        ActionsSourceError: no such module or name, or it is not an actions source.
        ActionDefinitionError: an action in a list is declared wrongly.
    """
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise ActionsSourceError(f"takes MODULE:NAME (e.g. my_actions:actions), got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is None or not _is_part_of(module_name, error.name):
            raise  # the module exists; something it imports is missing: the traceback says what
        raise ActionsSourceError(
            f"no module {module_name!r} in {os.getcwd()} or on PYTHONPATH"
        ) from None
    if not hasattr(module, name):
        raise ActionsSourceError(f"module {module_name!r} has nothing named {name!r}")
    found = getattr(module, name)
    if not is_checked:
        return LoadedActions(found, "")
    return checked_source(found, spec)


def checked_source(found: object, spec: str) -> LoadedActions:
    """`found` as an actions source, or ActionsSourceError saying why it is none."""
    if found is action:
        raise ActionsSourceError(f"{spec} is the @action decorator itself; {WANTED}")
    if isinstance(found, Action | Mapping):
        source: ActionSource = (found,)  # a dict is checked by resolving it
        _count(source)  # a dict that is not an action is refused now, not on every request
        return LoadedActions(source, "one action")
    if isinstance(found, type):
        raise ActionsSourceError(f"{spec} is the class {found.__name__}; {WANTED}")
    if callable(found):
        _check_takes_context(found, spec)
        return LoadedActions(found, f"a generator: {_count(found)}")
    if isinstance(found, str | bytes) or not isinstance(found, Iterable):
        raise ActionsSourceError(f"{spec} is {_kind(found)}; {WANTED}")
    if iter(found) is found:
        raise ActionsSourceError(
            f"{spec} is an iterator, which the first request would use up; give a list"
        )
    listed = tuple(found)
    return LoadedActions(listed, f"a list of {_count(listed, per_request=False)}")


def _check_takes_context(found: object, spec: str) -> None:
    try:
        inspect.signature(found).bind(ActionContext())  # type: ignore[arg-type]
    except TypeError:
        raise ActionsSourceError(
            f"{spec} is a function that cannot be called with the request's ActionContext; {WANTED}"
        ) from None
    except ValueError:  # no signature to read (some builtins): it is called as it is
        pass


def _count(source: ActionSource, *, per_request: bool = True) -> str:
    """How many actions an empty request context gets, if that can be known before serving.

    An async generator is not called here: what it creates could be tied to this short-lived
    event loop rather than the server's.
    """
    if inspect.iscoroutinefunction(source) or inspect.isasyncgenfunction(source):
        return "async, called for each request"
    try:
        actions = asyncio.run(resolve_actions(source, ActionContext()))
    except ActionDefinitionError:
        raise
    except Exception as error:  # noqa: BLE001  # the user's generator; it runs again per request
        return f"it raised {type(error).__name__} for an empty request context"
    noun = "action" if len(actions) == 1 else "actions"
    return f"{len(actions)} {noun}" + (" for an empty request context" if per_request else "")


def _is_part_of(module_name: str, missing: str) -> bool:
    return module_name == missing or module_name.startswith(f"{missing}.")


def _kind(found: object) -> str:
    if inspect.ismodule(found):
        return f"the module {found.__name__}"
    return f"{found!r:.40}, of type {type(found).__name__}"
