"""`python -m devstack` for real, on free ports and its own data folder: it starts the whole
stack, refuses a second launch, and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config import PROJECT_ROOT
from devstack.ports import port_is_free

READY_LINE = "Campaign Executor is running"
STARTUP_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 30


def free_ports(count: int) -> list[int]:
    """Distinct ports that were free a moment ago (held together so none repeats)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Launcher:
    """The launcher as a subprocess, its output collected line by line by a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"launcher exited before {text!r}:\n{self.output()}")
            self.lines.append(line)
            if text in line:
                return
        pytest.fail(f"no {text!r} within {timeout} s:\n{self.output()}")

    def drain(self) -> None:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.lines.append(line)

    def output(self) -> str:
        self.drain()
        return "\n".join(self.lines[-80:])

    def child_pids(self) -> dict[str, int]:
        started = (re.search(r"started (\w+) \(pid (\d+)\)", line) for line in self.lines)
        return {match[1]: int(match[2]) for match in started if match}


def process_exists(pid: int) -> bool:
    """Alive, or dead but never reaped (a zombie would mean the launcher did not wait for it)."""
    return Path(f"/proc/{pid}").exists()


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    api, simulator, temporal, temporal_ui = free_ports(4)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DEMO_TIME_SCALE", "CAMPAIGN_TIME_SCALE"}
    }
    env.update(
        API_PORT=str(api),
        SIMULATOR_PORT=str(simulator),
        TEMPORAL_PORT=str(temporal),
        TEMPORAL_UI_PORT=str(temporal_ui),
        DEVSTACK_DATA_DIR=str(tmp_path / "data"),
    )
    return env


@pytest.fixture
def launcher(stack_env: dict[str, str]) -> Iterator[Launcher]:
    launcher = Launcher(stack_env)
    yield launcher
    if launcher.process.poll() is None:  # the test failed half-way: still stop everything
        launcher.process.send_signal(signal.SIGINT)
        try:
            launcher.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            launcher.process.kill()
            launcher.process.wait()


@pytest.mark.timeout(180)
def test_make_dev_runs_the_whole_stack_and_ctrl_c_stops_all_of_it(
    launcher: Launcher, stack_env: dict[str, str]
) -> None:
    launcher.wait_for_line(READY_LINE, STARTUP_TIMEOUT_SECONDS)
    ports = {name: int(stack_env[name]) for name in ("API_PORT", "SIMULATOR_PORT")}
    temporal_ui = int(stack_env["TEMPORAL_UI_PORT"])

    roles = httpx.get(
        f"http://127.0.0.1:{ports['SIMULATOR_PORT']}/role",
        headers={"Authorization": "Bearer tok-andreas"},
    )
    assert roles.status_code == 200
    assert 10 in [role["id"] for role in roles.json()]
    assert httpx.get(f"http://127.0.0.1:{temporal_ui}/").status_code == 200
    ready = httpx.get(f"http://127.0.0.1:{ports['API_PORT']}/readyz")
    assert ready.status_code == 200, ready.text

    second = subprocess.run(
        [sys.executable, "-m", "devstack"],
        cwd=PROJECT_ROOT,
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert "already running" in second.stderr

    pids = launcher.child_pids()
    assert set(pids) == {"temporal", "simulator", "worker", "api"}
    launcher.process.send_signal(signal.SIGINT)
    assert launcher.process.wait(STOP_TIMEOUT_SECONDS) == 0, launcher.output()

    assert "all processes exited" in launcher.output()
    assert [name for name, pid in pids.items() if process_exists(pid)] == []
    for variable in ("API_PORT", "SIMULATOR_PORT", "TEMPORAL_PORT", "TEMPORAL_UI_PORT"):
        assert port_is_free(int(stack_env[variable])), f"{variable} is still taken"
    assert not (Path(stack_env["DEVSTACK_DATA_DIR"]) / "devstack.pid").exists()
