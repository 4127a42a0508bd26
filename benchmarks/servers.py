"""The servers under test: install the peers (pinned, into benchmarks/.peers/), start, stop.

Every server listens on loopback only and is started by the benchmark itself; `stop()` ends
each process it started (SIGTERM, then SIGKILL), by its own process id.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS_SRC = HERE / "peers"
PEERS = HERE / ".peers"  # gitignored: node_modules and a virtual environment
BASE_PATH = "/api/copilotkit"
RUN_PATH = f"{BASE_PATH}/agent/default/run"
MODEL = "gpt-4o-mini"
QUIET_ENV = {
    "COPILOTKIT_TELEMETRY_DISABLED": "true",
    "DO_NOT_TRACK": "1",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stamp(*files: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)  # noqa: T201


def install_node_peer() -> Path:
    """`npm ci` the pinned @copilotkit/runtime into .peers/node (skipped when up to date)."""
    target = PEERS / "node"
    sources = [PEERS_SRC / "node" / name for name in ("package.json", "package-lock.json")]
    stamp = _stamp(*sources)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PEERS_SRC / "node" / "server.mjs", target / "server.mjs")
    marker = target / ".installed"
    if marker.exists() and marker.read_text() == stamp and (target / "node_modules").is_dir():
        return target
    _log("installing the Node peer (@copilotkit/runtime 1.75.0) with npm ci ...")
    for source in sources:
        shutil.copy2(source, target / source.name)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=target,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(stamp)
    return target


def install_python_peer() -> Path:
    """A virtual environment in .peers/python with ag-ui-langgraph and its pinned stack."""
    target = PEERS / "python"
    requirements = PEERS_SRC / "python" / "requirements.txt"
    stamp = _stamp(requirements)
    marker = target / ".installed"
    python = target / "bin" / "python"
    if marker.exists() and marker.read_text() == stamp and python.exists():
        return python
    _log("installing the Python peer (ag-ui-langgraph) into a virtual environment ...")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(target)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(stamp)
    return python


@dataclass
class Server:
    """A server process under test (or the fake model)."""

    name: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    run_path: str = RUN_PATH
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL the load generator posts to."""
        return f"http://127.0.0.1:{self.port}{self.run_path}"

    @property
    def pid(self) -> int:
        """The process id (the server must be running)."""
        assert self.process is not None
        return self.process.pid

    def start(self, log_dir: Path) -> None:
        """Start the process; `wait_ready` tells when it accepts connections."""
        self.log_path = log_dir / f"{self.name}.log"
        self._log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env={**os.environ, **QUIET_ENV, **self.env},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the port accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        log = self.log_path.read_text(errors="replace")[-3000:] if self.log_path else ""
        raise RuntimeError(f"{self.name} did not start:\n{log}")

    def stop(self) -> None:
        """End the process (and its workers): SIGTERM, then SIGKILL after 10 s."""
        if self.process is not None and self.process.poll() is None:
            # The server was started in its own session: its group holds it and its workers only.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def fake_model(port: int, *, tokens: int, delay_ms: float) -> Server:
    """The fake OpenAI-compatible model server (copilot_runtime/testing/fake_openai)."""
    command = [sys.executable, "-m", "copilot_runtime.testing.fake_openai", "--port", str(port)]
    command += ["--tokens", str(tokens), "--delay-ms", str(delay_ms)]
    return Server(name=f"fake-model-{tokens}x{delay_ms:g}ms", command=command, port=port)


def ours(
    model_url: str,
    *,
    workers: int = 1,
    threads_path: Path,
    plain: bool = False,
    root: Path = ROOT,
    name: str | None = None,
) -> Server:
    """copilot-runtime serve, pointed at the fake model, serving fetchNameForUserId.

    `plain` hides uvloop and httptools from it (the event loop and HTTP parser it had before
    they became dependencies), to measure what they bring. `root` serves the code of another
    checkout (benchmarks/ab.py compares two).
    """
    port = free_port()
    if plain:
        launcher = (
            "import sys; sys.modules['uvloop'] = sys.modules['httptools'] = None; "
            "from app.cli import main; sys.exit(main(sys.argv[1:]))"
        )
        command = [sys.executable, "-c", launcher]
    else:
        command = [sys.executable, "-m", "copilot_runtime.app.cli"]
    command += ["serve", "--port", str(port), "--model", f"openai:{MODEL}"]
    command += ["--actions", "benchmarks.actions:actions", "--workers", str(workers)]
    env = {
        "PYTHONPATH": str(root),
        "OPENAI_BASE_URL": model_url,
        "OPENAI_API_KEY": "fake",
        "COPILOT_THREADS_PATH": str(threads_path),
        "COPILOT_LOG_LEVEL": "WARNING",  # no access log line per request (Node writes none)
    }
    label = name or "copilot-runtime" + (f" ({workers} workers)" if workers > 1 else "")
    label += " plain" if plain else ""
    return Server(name=label, command=command, port=port, env=env, cwd=root)


def node_peer(model_url: str) -> Server:
    """@copilotkit/runtime 1.75.0 (installed on first use)."""
    target = install_node_peer()
    port = free_port()
    command = ["node", str(target / "server.mjs"), str(port), model_url, MODEL]
    return Server(name="node-copilotkit-runtime", command=command, port=port, cwd=target)


def python_peer(model_url: str) -> Server:
    """ag-ui-langgraph's FastAPI endpoint (installed on first use)."""
    python = install_python_peer()
    port = free_port()
    script = PEERS_SRC / "python" / "server.py"
    command = [str(python), str(script), str(port), model_url, MODEL]
    return Server(name="ag-ui-langgraph", command=command, port=port)
