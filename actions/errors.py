"""The errors raised around actions.

```
ActionError
├── ActionDefinitionError   a bad declaration (name, type, handler, duplicate); raised while the
│                           actions are resolved for a request, before anything is streamed
└── ActionFailedError       raised by a handler on purpose; the model sees its message as an error
                            tool result and the run goes on
```


Logs name an unexpected exception's type and where it was raised (`failure_summary`), never its
text, which may carry secrets (a connection string, a token echoed by an API). A developer who
wants the text of what their own code raised turns it on (`user_failure_messages`). Values a
client chose are logged escaped (`loggable`).
"""

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

_messages_wanted = 0
"""How many `user_failure_messages()` are open (one per server that runs with debug on)."""

LOGGED_LENGTH = 500


def failure_summary(error: BaseException, *, is_user_code: bool = False) -> str:
    """The exception type and where it was raised (file, line, function); no message or source.

    For an exception of the user's own code (`is_user_code`: an action, an actions generator,
    a graph), the message too while `user_failure_messages()` is open.
    """
    frames = [
        f"  {frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(error.__traceback__)
    ]
    lines = [f"{type(error).__module__}.{type(error).__qualname__}", *frames]
    if is_user_code and _messages_wanted:
        lines.append(f"  message: {error}")
    return "\n".join(lines)


@contextmanager
def user_failure_messages() -> Iterator[None]:
    """While open, logs keep the messages of exceptions raised by the user's code (development:
    COPILOT_DEBUG; the messages may hold user data or secrets)."""
    global _messages_wanted  # one process-wide logging choice
    _messages_wanted += 1
    try:
        yield
    finally:
        _messages_wanted -= 1


def loggable(value: object) -> str:
    """A client-supplied value (an id, a name, a path) as a log line may hold it: as it is when
    every character of it is printable, else quoted with newlines and other control characters
    escaped, so that it cannot start a line of its own (a forged log entry); cut to
    LOGGED_LENGTH characters."""
    text = str(value)
    if len(text) > LOGGED_LENGTH:
        return repr(text[:LOGGED_LENGTH]) + f"... ({len(text)} characters)"
    return text if text.isprintable() else repr(text)


class ActionError(Exception):
    """Base class of every error about actions."""


class ActionDefinitionError(ActionError):
    """An action or one of its parameters is declared wrongly.

    The message always names the action and the problem, so the developer who wrote the
    generator can fix it from the message alone.
    """

    def __init__(self, action_name: str, problem: str) -> None:
        super().__init__(f"action {action_name!r}: {problem}")
        self.action_name = action_name
        self.problem = problem


class ActionFailedError(ActionError):
    """Raise this from a handler to report a failure the model should read.

    Its message is shown to the model (and to the client as the tool result), unlike the text of
    any other exception a handler raises, which stays in the server log.
    """
