"""The one private part of langchain this package reads: `init_chat_model`'s provider list.

`chat_model_from_spec` must tell "anthropic:claude-..." (a provider, then a model) from
"llama3:8b" (a model name with a colon, for an OpenAI-compatible server). The providers
`init_chat_model` accepts are the keys of `langchain.chat_models.base._BUILTIN_PROVIDERS`,
and each entry names the module its chat model comes from (whose package the error message
names when it is missing). Reading that table rather than a copy keeps every provider
LangChain adds (`meta`, `langsmith`, ...) accepted; pyproject caps langchain below its next
minor version.
"""

from __future__ import annotations

from collections.abc import Mapping

from langchain.chat_models.base import _BUILTIN_PROVIDERS


def chat_model_providers() -> Mapping[str, str]:
    """Each provider `init_chat_model` accepts, and the package its chat model is in."""
    return {
        provider: entry[0].split(".")[0].replace("_", "-")
        for provider, entry in _BUILTIN_PROVIDERS.items()
    }
