"""Settings: server configuration from COPILOT_* environment variables (flags override them)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MEMORY = ":memory:"


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
    instructions: str | None = None
    max_steps: int = Field(default=25, ge=1)
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "COPILOT_DATABASE_URL")
    )
    """postgresql://... keeps threads in PostgreSQL; unset keeps them in the SQLite file below."""
    threads_path: str = ".copilot-runtime/threads.sqlite"
    """The SQLite file for threads, or ":memory:" to keep them in memory only."""
    cors_origins: list[str] = ["*"]
    cors_allow_credentials: bool = False
    keepalive_seconds: float = Field(default=15.0, gt=0)
    rest_routes: bool = True
    """False serves only the single-route envelope (POST {base}), like CopilotKit's v1 helpers."""
    log_level: str = "INFO"
    workers: int = Field(default=1, ge=1)
    """Server processes (`serve --workers`); threads are shared through the checkpointer."""

    @property
    def normalized_base_path(self) -> str:
        """The base path with one leading slash and no trailing one ("" for the root)."""
        return "/" + self.base_path.strip("/") if self.base_path.strip("/") else ""
