"""chat_model_from_spec: the offline demo model, OpenAI, or any LangChain provider."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from graphs.demo_model import DemoChatModel
from graphs.errors import ModelConfigurationError

DEMO = "demo"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
PROVIDER_PACKAGES = {
    "anthropic": "langchain-anthropic",
    "google_genai": "langchain-google-genai",
    "google_vertexai": "langchain-google-vertexai",
    "ollama": "langchain-ollama",
    "groq": "langchain-groq",
    "mistralai": "langchain-mistralai",
    "bedrock": "langchain-aws",
    "bedrock_converse": "langchain-aws",
    "fireworks": "langchain-fireworks",
    "together": "langchain-together",
    "deepseek": "langchain-deepseek",
    "xai": "langchain-xai",
    "huggingface": "langchain-huggingface",
}


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The chat model a runtime uses, and how to describe it at start-up."""

    model: BaseChatModel
    label: str
    is_offline_demo: bool


def chat_model_from_spec(
    spec: str | None = None, *, environ: Mapping[str, str] | None = None
) -> ModelChoice:
    """Pick the chat model: `spec` is "demo", "provider:model", a bare model name, or None.

    None means OpenAI when OPENAI_API_KEY is set (OPENAI_MODEL, OPENAI_BASE_URL honoured), else
    the offline demo model.

    Raises:
        ModelConfigurationError: the provider is unknown or its package is not installed.
    """
    env = os.environ if environ is None else environ
    spec = (spec or "").strip()
    if spec == DEMO or (not spec and not env.get("OPENAI_API_KEY")):
        return ModelChoice(DemoChatModel(), "offline demo model", is_offline_demo=True)
    if not spec:
        spec = f"openai:{env.get('OPENAI_MODEL') or DEFAULT_OPENAI_MODEL}"
    provider, _, name = spec.partition(":") if ":" in spec else ("", "", spec)
    if provider == "openai":
        return ModelChoice(_openai(name, env), spec, is_offline_demo=False)
    return ModelChoice(_any_provider(spec, provider), spec, is_offline_demo=False)


def _openai(name: str, env: Mapping[str, str]) -> BaseChatModel:
    from openai import OpenAIError

    from graphs.openai_stream import StreamingChatOpenAI

    key = env.get("OPENAI_API_KEY")
    try:
        # ChatOpenAI with a leaner token stream: same requests, same chunks (issue #7).
        return StreamingChatOpenAI(
            model=name,
            base_url=env.get("OPENAI_BASE_URL") or None,
            api_key=SecretStr(key) if key else None,
        )
    except OpenAIError as error:
        raise ModelConfigurationError(
            f"model openai:{name} needs OPENAI_API_KEY (any value for a local server)"
        ) from error


def _any_provider(spec: str, provider: str) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(spec)
    except ImportError as error:
        package = PROVIDER_PACKAGES.get(provider, f"the LangChain integration for {provider!r}")
        raise ModelConfigurationError(
            f"model {spec!r} needs {package}; install it with: pip install {package}"
        ) from error
    except ValueError as error:
        raise ModelConfigurationError(f"model {spec!r}: {error}") from error
