"""UsageTally: the token usage of a run's model steps, summed per provider and model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ag_ui.core import TokenUsage
from langchain_core.messages import AIMessage

from copilot_runtime.graphs.events import messages_written

# The counts RUN_FINISHED.usage carries. @ag-ui/core 0.0.59 knows these and
# reasoningTokens/cachedInputTokens; cacheWriteInputTokens came later, so it is never sent.
_TOTALS = ("input_tokens", "output_tokens", "total_tokens")


@dataclass(slots=True)
class UsageTally:
    """Adds up `usage_metadata` of the AI messages a run's nodes write (each message once).

    Providers that report no usage leave no entry, so a run without usage reports none rather
    than zeros.
    """

    _counted: set[str] = field(default_factory=set)
    _sums: dict[tuple[str | None, str | None], dict[str, int]] = field(default_factory=dict)

    def node_update(self, update: Mapping[str, object]) -> None:
        """Count the AI messages in one `updates` payload of the graph stream."""
        for message in messages_written(update):
            if isinstance(message, AIMessage):
                self.add(message)

    def add(self, message: AIMessage) -> None:
        """Count one model answer (again it is ignored: updates may repeat a message)."""
        usage = message.usage_metadata
        if usage is None or (message.id and message.id in self._counted):
            return
        if message.id:
            self._counted.add(message.id)
        metadata = message.response_metadata
        key = (_label(metadata.get("model_provider")), _label(metadata.get("model_name")))
        sums = self._sums.setdefault(key, dict.fromkeys(_TOTALS, 0))
        sums["input_tokens"] += usage.get("input_tokens", 0)
        sums["output_tokens"] += usage.get("output_tokens", 0)
        sums["total_tokens"] += usage.get("total_tokens", 0)
        reasoning = usage.get("output_token_details", {}).get("reasoning", 0)
        cached = usage.get("input_token_details", {}).get("cache_read", 0)
        sums["reasoning_tokens"] = sums.get("reasoning_tokens", 0) + reasoning
        sums["cached_input_tokens"] = sums.get("cached_input_tokens", 0) + cached

    def entries(self) -> list[TokenUsage] | None:
        """One entry per (provider, model), or None when no step reported usage."""
        if not self._sums:
            return None
        return [
            TokenUsage(
                provider=provider,
                model=model,
                input_tokens=sums["input_tokens"],
                output_tokens=sums["output_tokens"],
                total_tokens=sums["total_tokens"],
                # Parts of the totals above; sent only when the provider reported any.
                reasoning_tokens=sums.get("reasoning_tokens") or None,
                cached_input_tokens=sums.get("cached_input_tokens") or None,
            )
            for (provider, model), sums in self._sums.items()
        ]


def _label(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
