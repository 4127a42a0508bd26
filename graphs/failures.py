"""run_failure: what the client is told when a run fails: a code and a message safe to show.

```
RunError (graphs.errors)        its own code and message
model provider errors           MODEL_RATE_LIMITED, MODEL_ERROR (with the HTTP status),
                                MODEL_TIMEOUT, MODEL_UNAVAILABLE; the provider's text is logged
                                by type only, never sent (it may echo keys or prompts)
anything else                   INTERNAL_ERROR with a fixed message
```
Provider clients retry 429 and 5xx answers with backoff before raising (openai's
`max_retries`), so these errors mean the retries are spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import openai

from graphs.errors import RunError

INTERNAL_ERROR = "The agent run failed because of an internal error; the server log has details."
MODEL_RATE_LIMITED = (
    "The model provider is rate limiting requests (HTTP 429) and retrying did not help; "
    "try again later."
)
MODEL_ERROR = (
    "The model provider answered with an error (HTTP {status}); the server log has details."
)
MODEL_TIMEOUT = "The model provider did not answer in time."
MODEL_UNAVAILABLE = "The model provider could not be reached."


@dataclass(frozen=True, slots=True)
class RunFailure:
    """The `code` and `message` of a RUN_ERROR; `is_expected` failures need no traceback."""

    code: str
    message: str
    is_expected: bool


def run_failure(error: Exception) -> RunFailure:
    """Classify an exception that ended a run."""
    if isinstance(error, RunError):
        return RunFailure(error.code, str(error), is_expected=True)
    if isinstance(error, openai.APITimeoutError):  # a subclass of APIConnectionError
        return RunFailure("MODEL_TIMEOUT", MODEL_TIMEOUT, is_expected=True)
    if isinstance(error, openai.APIConnectionError):
        return RunFailure("MODEL_UNAVAILABLE", MODEL_UNAVAILABLE, is_expected=True)
    # openai's APIStatusError, and the same shape in other providers' SDKs (Anthropic, Groq...).
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and 400 <= status < 600:
        if status == 429:
            return RunFailure("MODEL_RATE_LIMITED", MODEL_RATE_LIMITED, is_expected=True)
        return RunFailure("MODEL_ERROR", MODEL_ERROR.format(status=status), is_expected=True)
    return RunFailure("INTERNAL_ERROR", INTERNAL_ERROR, is_expected=False)
