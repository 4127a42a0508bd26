"""Settings: server configuration from COPILOT_* environment variables (flags override them)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from copilot_runtime.graphs import ModelOptions

MEMORY = ":memory:"
POSTGRES_ONLY = "must be postgresql://... (for a SQLite file, set COPILOT_THREADS_PATH instead)"
CREDENTIALS_NEED_ORIGINS = (
    "--cors-allow-credentials (COPILOT_CORS_ALLOW_CREDENTIALS) needs explicit origins: with * "
    "any site could call the runtime with its visitors' cookies; set --cors-origins "
    "(COPILOT_CORS_ORIGINS) to your app's origins, e.g. https://app.example.com"
)
WORKERS_NEED_POSTGRES = (
    "--workers (COPILOT_WORKERS) above 1 with the SQLite store needs POSIX file locks; use "
    "DATABASE_URL here"
)
WORKERS_NEED_A_FILE = (
    "--workers (COPILOT_WORKERS) above 1 needs threads the workers share: with --threads-path "
    ":memory: each worker would keep its own; use a SQLite file or DATABASE_URL"
)


class Settings(BaseSettings):
    """Every option of `copilot-runtime serve`; each has an environment variable.

    Each field is a flag of `serve` (app/cli.py derives them), and its docstring is that flag's
    help: write it for the people who run the server.
    """

    model_config = SettingsConfigDict(
        env_prefix="COPILOT_", extra="ignore", use_attribute_docstrings=True
    )

    host: str = "127.0.0.1"
    """The interface to listen on (0.0.0.0 for every interface)."""
    port: int = Field(default=8000, ge=1, le=65535)
    """The TCP port to listen on."""
    base_path: str = "/api/copilotkit"
    """The URL path the CopilotKit routes live under (the frontend's runtimeUrl)."""
    actions: str | None = None
    """Your backend actions as MODULE:NAME: a list of actions, a generator called for each
    request, or one action; unset, the example actions."""
    model: str | None = None
    """The chat model: "provider:model" (e.g. openai:gpt-4o-mini), a model name of an
    OpenAI-compatible server (with OPENAI_BASE_URL), or "demo"; unset, OpenAI when
    OPENAI_API_KEY is set, else the offline demo model."""
    model_temperature: float | None = Field(default=None, ge=0)
    """The sampling temperature of a real model; unset, the provider's."""
    model_timeout: float = Field(default=120.0, gt=0)
    """Seconds a model call may send nothing (before its first chunk, or between two) before
    the run ends with RUN_ERROR MODEL_TIMEOUT; long enough for a model that reasons first."""
    model_max_retries: int | None = Field(default=None, ge=0)
    """How often a model request answered 429 or 5xx is retried, with backoff; unset, as often
    as the provider's client does."""
    model_stream_usage: bool = True
    """Ask OpenAI-compatible servers for token usage while streaming (turn it off for a server
    that rejects stream_options)."""
    model_http: Literal["aiohttp", "httpx"] = "aiohttp"
    """How openai: models reach the provider: the openai SDK's aiohttp transport (half the CPU
    per streamed chunk) or its default httpx client (used anyway without aiohttp)."""
    instructions: str | None = None
    """The system prompt of the default agent."""
    max_steps: int = Field(default=25, ge=1)
    """Model steps a run may take before it ends with an error."""
    durability: Literal["sync", "async", "exit"] = "sync"
    """When runs write their steps to the thread store: sync (each step before the next), async
    (while the next runs) or exit (once per run: the least CPU, but a killed server loses the
    run under way)."""
    # The conventional name, without the prefix: hosting platforms set DATABASE_URL.
    database_url: str | None = Field(default=None, validation_alias="database_url")
    """postgresql://... keeps threads in PostgreSQL (several servers can share it); unset keeps
    them in the SQLite file of --threads-path."""
    threads_path: str = ".copilot-runtime/threads.sqlite"
    """The SQLite file for threads, or ":memory:" to keep them in memory only."""
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    """When a SQLite commit waits for the disk: normal (a killed server loses nothing, a power
    cut may lose the last commits) or full (an fsync per commit, slower under load)."""
    cors_origins: Annotated[list[str], NoDecode] = ["*"]
    """The origins browsers may call from: comma-separated (http://a.example,http://b.example)
    or a JSON list; "*" for any."""
    cors_allow_credentials: bool = False
    """Let browsers send cookies and Authorization headers cross-origin (needs explicit
    --cors-origins)."""
    docs: bool = False
    """Serve /openapi.json and /docs (every route and body shape: for development)."""
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """The largest request body accepted, in bytes (a conversation with a few images); a larger
    one is refused with 413."""
    action_timeout: float = Field(default=120.0, gt=0)
    """Seconds an action's handler may take (an action's own timeout wins); past it the model
    reads a "timed out" error result and the run goes on."""
    action_threads: int = Field(default=32, ge=1)
    """Threads for sync action handlers and sync actions generators, a pool of their own."""
    keepalive_seconds: float = Field(default=15.0, gt=0)
    """Seconds of silence in a stream before a keep-alive is sent."""
    busy_thread: Literal["reject", "supersede"] = "reject"
    """A run on a thread that is already running: refuse it (409) or stop the old one first."""
    on_disconnect: Literal["continue", "cancel"] = "continue"
    """When the client that started a run goes away: the run goes on to its end (continue: a
    reload or another tab follows it with connect) or is stopped (cancel: saves model calls)."""
    run_buffer_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    """The most of a running run's events kept for clients that join it (their JSON size);
    past it a connect gets the stored messages only. Freed when the run ends."""
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    """On shutdown, how long running runs may go on before they are stopped as /stop would."""
    # The conventional name, without the prefix, as DATABASE_URL.
    redis_url: str | None = Field(default=None, validation_alias="redis_url")
    """redis://... relays runs between workers through Redis streams (a connect on one worker
    follows a run on another); unset, through the thread store's database."""
    redis_prefix: str = "copilot-runtime:"
    """The prefix of the Redis keys the runtime writes."""
    rest_routes: bool = True
    """Serve the REST routes (/info, /agent/..., /threads); without them only the single-route
    envelope (POST to the base path) answers."""
    remote_endpoint_path: str = "/copilotkit_remote"
    """Where Node runtimes pinned to CopilotKit <= 1.10 reach this runtime's actions and agents
    (`remoteEndpoints: [{ url }]`, the copilotkit Python SDK's protocol); on the host app, not
    under the base path. Empty: not served."""
    playground: bool = True
    """Serve the playground page to browsers at GET {base} (it needs the REST routes)."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """How much the server logs."""
    log_format: Literal["text", "json"] = "text"
    """The log lines: text, or one JSON object per line (for log collectors)."""
    debug: bool = False
    """Development only: logs keep the messages of exceptions raised by your actions and graphs
    (they may hold user data); otherwise only their type and where they were raised."""
    workers: int = Field(default=1, ge=1)
    """Server processes sharing the port; threads are shared through the thread store."""
    reload: bool = False
    """Development: restart the server when a Python file of your project or of the actions
    module changes."""

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_from_text(cls, value: object) -> object:
        # An environment variable or a flag holds text: a JSON list, or origins separated by
        # commas (the form people write: COPILOT_CORS_ORIGINS=https://app.example).
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [origin.strip() for origin in text.split(",") if origin.strip()]

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _safe(self) -> Settings:
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError(CREDENTIALS_NEED_ORIGINS)
        if self.workers > 1 and not self.database_url:
            if self.threads_path == MEMORY:
                raise ValueError(WORKERS_NEED_A_FILE)
            if os.name != "posix":  # the SQLite store coordinates through POSIX file locks
                raise ValueError(WORKERS_NEED_POSTGRES)
        return self

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
            max_retries=self.model_max_retries,
            stream_usage=self.model_stream_usage,
        )

    @property
    def normalized_base_path(self) -> str:
        """The base path with one leading slash and no trailing one ("" for the root)."""
        return "/" + self.base_path.strip("/") if self.base_path.strip("/") else ""
