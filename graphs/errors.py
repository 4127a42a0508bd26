"""The errors that end a run with RUN_ERROR.

```
RunError                    a run cannot go on; the client receives RUN_ERROR{code, message}
└── StepLimitError          the model kept calling tools past the agent's step limit
```
Any other exception during a run becomes RUN_ERROR{code: "INTERNAL_ERROR"} with a fixed message;
its text only reaches the server log.

ModelConfigurationError     raised at start-up when the configured model cannot be created
"""


class RunError(Exception):
    """A failure whose message is safe and useful to show to the client."""

    code = "RUN_ERROR"


class StepLimitError(RunError):
    """The agent took more model steps than allowed without reaching an answer."""

    code = "STEP_LIMIT_EXCEEDED"

    def __init__(self, max_steps: int) -> None:
        super().__init__(
            f"The agent stopped after {max_steps} model steps without finishing its answer "
            "(a tool-calling loop?). Raise max_steps if this task really needs more."
        )
        self.max_steps = max_steps


class ModelConfigurationError(ValueError):
    """The configured chat model cannot be created (unknown provider, missing package)."""
