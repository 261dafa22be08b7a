"""Run the recruiting-platform simulator as a real uvicorn subprocess (tests and `make dev`)."""

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60.0  # generous: a busy machine starts it slowly
STOP_TIMEOUT_SECONDS = 10.0
# Requests held open by the accept-then-timeout fault must not stall shutdown for long.
GRACEFUL_SHUTDOWN_SECONDS = 2


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimulatorProcess:
    """A running simulator; `stop()` it, or use it as a context manager."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, output: IO[bytes]) -> None:
        self.process = process
        self.port = port
        self._output = output

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output_tail(self, max_chars: int = 4000) -> str:
        """The end of the process's combined stdout/stderr."""
        self._output.flush()
        self._output.seek(0)
        return self._output.read().decode(errors="replace")[-max_chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                logger.warning("simulator on port %s ignored SIGTERM; killing it", self.port)
                self.process.kill()
                self.process.wait()
        self._output.close()

    def __enter__(self) -> "SimulatorProcess":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_simulator(
    port: int | None = None,
    *,
    webhook_url: str = "",
    webhook_secret: str = "dev-webhook-secret",
    service_token: str = "dev-service-token",
    log_level: str = "warning",
) -> SimulatorProcess:
    """Start `uvicorn simulator.app:app` and return once `/_sim/healthz` answers."""
    port = port or free_port()
    env = {
        **os.environ,
        "SIMULATOR_WEBHOOK_URL": webhook_url,
        "SIMULATOR_WEBHOOK_SECRET": webhook_secret,
        "SIMULATOR_SERVICE_TOKEN": service_token,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "simulator.app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
        "--timeout-graceful-shutdown",
        str(GRACEFUL_SHUTDOWN_SECONDS),
    ]
    # A file, not a pipe: nobody reads the output while the server runs, and a full pipe
    # would block the server.
    output = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
    )
    simulator = SimulatorProcess(process, port, output)
    try:
        _wait_until_healthy(simulator)
    except BaseException:
        simulator.stop()
        raise
    logger.info("simulator listening on %s", simulator.url)
    return simulator


def _wait_until_healthy(simulator: SimulatorProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    health_url = f"{simulator.url}/_sim/healthz"
    while time.monotonic() < deadline:
        if simulator.process.poll() is not None:
            raise RuntimeError(
                f"simulator exited with code {simulator.process.returncode} during startup:\n"
                f"{simulator.output_tail()}"
            )
        try:
            if httpx.get(health_url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(
        f"simulator did not answer {health_url} within {STARTUP_TIMEOUT_SECONDS:.0f} s:\n"
        f"{simulator.output_tail()}"
    )
