"""run_failure: what the client is told when a run fails: a code and a message safe to show.

```
RunError (graphs.errors)        its own code and message
model errors                    MODEL_RATE_LIMITED, MODEL_TIMEOUT, MODEL_UNAVAILABLE,
                                MODEL_CONTEXT_OVERFLOW, MODEL_ERROR (with the HTTP status):
                                LangChain's provider-neutral ModelError classes, or any
                                exception with an HTTP `status_code` (provider SDKs)
anything else                   INTERNAL_ERROR with a fixed message
```
The provider's own text is never sent, nor logged (it may echo keys or prompts). Provider
clients retry 429, 5xx and lost connections with backoff before raising (openai's
`max_retries`), so these errors mean the retries are spent.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from copilot_runtime.graphs.errors import RunError

INTERNAL_ERROR = "The agent run failed because of an internal error; the server log has details."
MODEL_RATE_LIMITED = (
    "The model provider is rate limiting requests (HTTP 429) and retrying did not help; "
    "try again later."
)
MODEL_TIMEOUT = "The model provider did not answer in time."
MODEL_UNAVAILABLE = "The model provider could not be reached."
MODEL_CONTEXT_OVERFLOW = "The conversation is too long for the model's context window."
MODEL_ERROR = "The model provider answered with an error{status}; the server log has details."


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
    status = getattr(error, "status_code", None)
    status = status if isinstance(status, int) and 400 <= status < 600 else None
    match error:
        case ModelRateLimitError():
            return RunFailure("MODEL_RATE_LIMITED", MODEL_RATE_LIMITED, is_expected=True)
        case ModelTimeoutError():
            return RunFailure("MODEL_TIMEOUT", MODEL_TIMEOUT, is_expected=True)
        case ModelConnectionError():
            return RunFailure("MODEL_UNAVAILABLE", MODEL_UNAVAILABLE, is_expected=True)
        case ContextOverflowError():
            return RunFailure("MODEL_CONTEXT_OVERFLOW", MODEL_CONTEXT_OVERFLOW, is_expected=True)
        case _ if status == 429:  # a provider SDK's error that LangChain did not classify
            return RunFailure("MODEL_RATE_LIMITED", MODEL_RATE_LIMITED, is_expected=True)
    if isinstance(error, ModelError) or status is not None:
        shown = f" (HTTP {status})" if status else ""
        return RunFailure("MODEL_ERROR", MODEL_ERROR.format(status=shown), is_expected=True)
    return RunFailure("INTERNAL_ERROR", INTERNAL_ERROR, is_expected=False)
