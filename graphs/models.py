"""chat_model_from_spec: the offline demo model, OpenAI, or any LangChain provider."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from copilot_runtime.graphs.demo_model import DemoChatModel
from copilot_runtime.graphs.errors import ModelConfigurationError
from copilot_runtime.graphs.langchain_private import chat_model_providers

DEMO = "demo"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# Model names LangChain itself reads as OpenAI's (init_chat_model's inference).
OPENAI_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt", "text-davinci")
UNKNOWN_PROVIDER = (
    "model {spec!r}: {prefix!r} is not a LangChain provider; write provider:model (openai, "
    "anthropic, ollama, ...), or set OPENAI_BASE_URL to use {spec!r} on an OpenAI-compatible server"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelOptions:
    """How to call a real model; None leaves the provider's own default."""

    temperature: float | None = None
    """Sampling temperature."""
    timeout_seconds: float | None = None
    """Per request to the provider (openai's default is 600 s)."""
    max_retries: int | None = None
    """Retries of a request answered 429 or 5xx, or not answered; the provider's client waits
    with exponential backoff between them and honours Retry-After (openai's default is 2)."""
    base_url: str | None = None
    """An OpenAI-compatible server (vLLM, Ollama, llama.cpp...); None reads OPENAI_BASE_URL."""
    stream_usage: bool = True
    """Ask OpenAI-compatible servers for token usage while streaming (`stream_options`).

    langchain-openai only asks api.openai.com by default; turn this off for a server that
    rejects the option.
    """

    def provider_kwargs(self) -> dict[str, Any]:
        """The options any LangChain chat model takes, only those that are set."""
        kwargs: dict[str, Any] = {}
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if self.timeout_seconds is not None:
            kwargs["timeout"] = self.timeout_seconds
        if self.max_retries is not None:
            kwargs["max_retries"] = self.max_retries
        return kwargs


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The chat model a runtime uses, and how to describe it at start-up."""

    model: BaseChatModel
    label: str
    is_offline_demo: bool


def chat_model_from_spec(
    spec: str | None = None,
    *,
    options: ModelOptions | None = None,
    environ: Mapping[str, str] | None = None,
) -> ModelChoice:
    """Pick the chat model.

    Args:
        spec: "demo"; "openai:NAME"; "provider:model" for any LangChain provider (through
            `init_chat_model`); any other name is OpenAI's when an OpenAI-compatible base URL
            is set or the name is an OpenAI one (gpt-...), else LangChain infers the provider
            (claude-... is Anthropic's); None means OpenAI when OPENAI_API_KEY is set
            (OPENAI_MODEL names the model), else the offline demo model.
        options: Temperature, timeout, retries and base URL of a real model.
        environ: Where to read OPENAI_* variables (the process environment by default).

    Raises:
        ModelConfigurationError: the provider is unknown, its package is not installed, or
            OpenAI has no API key.
    """
    env = os.environ if environ is None else environ
    options = options or ModelOptions()
    spec = (spec or "").strip()
    if spec == DEMO or (not spec and not env.get("OPENAI_API_KEY")):
        return ModelChoice(DemoChatModel(), "offline demo model", is_offline_demo=True)
    if not spec:
        spec = f"openai:{env.get('OPENAI_MODEL') or DEFAULT_OPENAI_MODEL}"
    provider, _, name = spec.partition(":")
    if not name or (provider != "openai" and provider not in chat_model_providers()):
        provider, name = "", spec  # "llama3:8b" names a model, not a provider
    base_url = options.base_url or env.get("OPENAI_BASE_URL")
    if provider == "openai" or (not provider and (base_url or name.startswith(OPENAI_PREFIXES))):
        model = openai_chat_model(name, options, env)
        return ModelChoice(model, f"openai:{name}", is_offline_demo=False)
    if not provider and ":" in spec:
        raise ModelConfigurationError(UNKNOWN_PROVIDER.format(spec=spec, prefix=spec.split(":")[0]))
    return ModelChoice(_any_provider(spec, provider, options), spec, is_offline_demo=False)


def openai_chat_model(
    name: str, options: ModelOptions | None = None, environ: Mapping[str, str] | None = None
) -> BaseChatModel:
    """`ChatOpenAI` for `name`, on OPENAI_BASE_URL (or `options.base_url`) when set.

    Raises:
        ModelConfigurationError: no API key (any value will do for a local server).
    """
    from langchain_openai import ChatOpenAI
    from openai import OpenAIError

    from copilot_runtime.graphs.fast_paths import fast_paths_enabled
    from copilot_runtime.graphs.openai_stream import StreamingChatOpenAI

    env = os.environ if environ is None else environ
    options = options or ModelOptions()
    key = env.get("OPENAI_API_KEY")
    # ChatOpenAI with a leaner token stream (same requests, same chunks): a speed path.
    chat_model = StreamingChatOpenAI if fast_paths_enabled() else ChatOpenAI
    try:
        return chat_model(
            model=name,
            base_url=options.base_url or env.get("OPENAI_BASE_URL") or None,
            api_key=SecretStr(key) if key else None,
            stream_usage=options.stream_usage,
            **options.provider_kwargs(),
        )
    except OpenAIError as error:
        raise ModelConfigurationError(
            f"model openai:{name} needs OPENAI_API_KEY (any value for a local server)"
        ) from error


def _any_provider(spec: str, provider: str, options: ModelOptions) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    try:
        model: BaseChatModel = init_chat_model(spec, **options.provider_kwargs())
    except ImportError as error:
        package = _missing_package(error) or chat_model_providers().get(provider, "its integration")
        raise ModelConfigurationError(
            f"model {spec!r} needs the {package} package; install it with: pip install {package}"
        ) from error
    except ValueError as error:
        raise ModelConfigurationError(f"model {spec!r}: {error}") from error
    return model


def _missing_package(error: ImportError) -> str | None:
    """The distribution to install, from the module that failed to import."""
    for candidate in (error, error.__cause__):
        module = getattr(candidate, "name", None)
        if isinstance(module, str) and module:
            return module.split(".")[0].replace("_", "-")
    return None
