"""Settings: server configuration from COPILOT_* environment variables (flags override them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from copilot_runtime.graphs import ModelOptions

MEMORY = ":memory:"
POSTGRES_ONLY = "DATABASE_URL must be postgresql://... (for SQLite, set COPILOT_THREADS_PATH)"


class Settings(BaseSettings):
    """Every option of `copilot-runtime serve`; each has an environment variable."""

    model_config = SettingsConfigDict(env_prefix="COPILOT_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    base_path: str = "/api/copilotkit"
    actions: str | None = None
    """MODULE:ATTR of a list of actions or a generator; None serves the example actions."""
    model: str | None = None
    """"demo", "provider:model" or a model name; None: OpenAI with OPENAI_API_KEY, else demo."""
    model_temperature: float | None = Field(default=None, ge=0)
    model_timeout: float | None = Field(default=None, gt=0)
    """Seconds per request to the model provider; None keeps the provider's default."""
    model_max_retries: int | None = Field(default=None, ge=0)
    """Retries (with backoff) of a model request answered 429 or 5xx; None: the provider's."""
    model_stream_usage: bool = True
    """Ask OpenAI-compatible servers for token usage while streaming."""
    model_http: Literal["aiohttp", "httpx"] = "aiohttp"
    """How `openai:` models reach the provider: the openai SDK's aiohttp transport (half the
    CPU per streamed chunk) or its default httpx client (falls back to it without aiohttp)."""
    instructions: str | None = None
    max_steps: int = Field(default=25, ge=1)
    durability: Literal["sync", "async", "exit"] = "sync"
    """When runs write their steps to the thread store (LangGraph's durability modes): "exit"
    writes once per run, the least CPU, but a killed process loses the run under way."""
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "COPILOT_DATABASE_URL")
    )
    """postgresql://... keeps threads in PostgreSQL; unset keeps them in the SQLite file below."""
    threads_path: str = ".copilot-runtime/threads.sqlite"
    """The SQLite file for threads, or ":memory:" to keep them in memory only."""
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    """When a SQLite commit waits for the disk. "normal" (SQLite's advice for its WAL mode):
    a killed process loses nothing, a power cut may lose the last commits; "full": an fsync
    per commit, which under load queues every run behind the disk."""
    cors_origins: list[str] = ["*"]
    cors_allow_credentials: bool = False
    keepalive_seconds: float = Field(default=15.0, gt=0)
    busy_thread: Literal["reject", "supersede"] = "reject"
    """A run on a thread that is already running: refuse it (409) or stop the old one first."""
    rest_routes: bool = True
    """False serves only the single-route envelope (POST {base}), like CopilotKit's v1 helpers."""
    remote_endpoint_path: str = "/copilotkit_remote"
    """Where Node runtimes pinned to CopilotKit <= 1.10 reach this runtime's actions and agents
    (`remoteEndpoints: [{ url }]`, the copilotkit Python SDK's protocol); on the host app, not
    under the base path. Empty: not served."""
    playground: bool = True
    """Serve the playground page to browsers at GET {base} (it needs the REST routes)."""
    log_level: str = "INFO"
    workers: int = Field(default=1, ge=1)
    """Server processes (`serve --workers`); threads are shared through the checkpointer."""

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgres://", "postgresql://", "postgresql+")):
            raise ValueError(POSTGRES_ONLY)
        return value or None

    def model_options(self) -> ModelOptions:
        """The options of a real model (the base URL comes from OPENAI_BASE_URL)."""
        # Imported here: the settings are read by the workers' supervisor too, which serves
        # nothing and need not hold the model stack in memory (app/cli.py).
        from copilot_runtime.graphs import ModelOptions

        return ModelOptions(
            temperature=self.model_temperature,
            timeout_seconds=self.model_timeout,
            max_retries=self.model_max_retries,
            stream_usage=self.model_stream_usage,
        )

    @property
    def normalized_base_path(self) -> str:
        """The base path with one leading slash and no trailing one ("" for the root)."""
        return "/" + self.base_path.strip("/") if self.base_path.strip("/") else ""
