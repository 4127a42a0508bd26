"""The server's log lines: one format for ours and uvicorn's, as text or one JSON object a line.

Only the command line configures logging (an app that embeds the runtime keeps its own). It
hands the same configuration to uvicorn, which applies it again in every worker and reloaded
process, so each process writes the same lines. This module imports nothing heavy: the
supervisor of the workers loads it too.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# What every LogRecord has; anything else on a record came as `extra=` and goes into the JSON.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's message again, with terminal colours
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the `extra=` fields, and the
    traceback (as text) of a record logged with one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_config(level: str, log_format: Literal["text", "json"]) -> dict[str, Any]:
    """The `logging.config.dictConfig` of the server process (uvicorn's `log_config`)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        # uvicorn's loggers write through the root's handler instead of their own.
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level.upper()}
            for name in UVICORN_LOGGERS
        },
    }


def configure_logging(level: str, log_format: Literal["text", "json"]) -> dict[str, Any]:
    """Configure this process's logging; returns the configuration, for uvicorn to apply too."""
    config = log_config(level, log_format)
    logging.config.dictConfig(config)
    return config
