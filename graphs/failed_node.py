"""The log line of a user graph's failed run: which node raised what.

The client gets the safe RUN_ERROR of graphs/failures.py; the log names the node and the
exception's type and place (with COPILOT_DEBUG, its message too: `failure_summary`).
"""

from __future__ import annotations

from copilot_runtime.actions import failure_summary, loggable


def failure_line(run_id: str, node: str | None, error: BaseException) -> str:
    """What the server logs for a run that failed (unexpectedly) with `error`."""
    where = f" in node '{loggable(node)}'" if node else ""
    summary = failure_summary(error, is_user_code=True)
    return f"run {loggable(run_id)} failed{where}: {summary}"
