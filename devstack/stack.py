"""Starts the four processes in order, waits for each to be ready, and stops them all."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx

from db.migrate import upgrade
from devstack import console
from devstack.banner import render_banner
from devstack.commands import (
    ChildSpec,
    api_spec,
    simulator_spec,
    temporal_spec,
    url,
    venv_binary,
    worker_spec,
)
from devstack.options import LaunchOptions
from devstack.ports import HOST
from devstack.processes import Child
from devstack.readiness import (
    NotReady,
    http_ok,
    port_accepts,
    temporal_client,
    worker_polling,
)

T = TypeVar("T")

POLL_SECONDS = 0.2
PROBE_TIMEOUT_SECONDS = 5.0
START_TIMEOUT_SECONDS = 60.0  # a first start creates Temporal's database
STOP_TIMEOUT_SECONDS = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StackFailed(Exception):
    """A process died or never became ready; the message says which and why."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class StopRequested(Exception):
    """Ctrl-C (or SIGTERM/SIGHUP) arrived while the stack was starting."""


class Stack:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.children: list[Child] = []
        self.stopping = asyncio.Event()

    def request_stop(self, sig: signal.Signals) -> None:
        if not self.stopping.is_set():
            console.say(f"{sig.name} received; stopping the stack")
        self.stopping.set()

    async def start(self, spec: ChildSpec) -> Child:
        child = Child(spec, self.cwd)
        await child.start()
        self.children.append(child)
        console.say(f"started {child.name} (pid {child.pid})")
        return child

    def check(self) -> None:
        """Raise if Ctrl-C came or a child has exited."""
        if self.stopping.is_set():
            raise StopRequested
        for child in self.children:
            if child.returncode is not None:
                raise StackFailed(
                    f"{child.describe_exit()} unexpectedly",
                    f"last lines of {child.name}:\n{child.last_lines()}",
                )

    async def until_ready(
        self, what: str, probe: Callable[[], Awaitable[T]], timeout: float = START_TIMEOUT_SECONDS
    ) -> T:
        """Call `probe` until it returns, while watching for Ctrl-C and dead children."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen = "no answer yet"
        while True:
            self.check()
            try:
                async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                    return await probe()
            except NotReady as not_ready:
                seen = str(not_ready)
            except Exception as error:  # any failure of a probe means "not ready yet"
                seen = f"{type(error).__name__}: {error}"
            if asyncio.get_running_loop().time() > deadline:
                raise StackFailed(f"{what} was not ready within {timeout:.0f} s: {seen}")
            try:
                await asyncio.wait_for(self.stopping.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    async def run_until_stopped(self) -> None:
        """Return on Ctrl-C; raise `StackFailed` as soon as a child exits."""
        waits = [asyncio.create_task(child.wait()) for child in self.children]
        stop = asyncio.create_task(self.stopping.wait())
        try:
            await asyncio.wait({stop, *waits}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stop, *waits):
                task.cancel()
        if not self.stopping.is_set():
            self.check()

    async def stop_all(self) -> None:
        """Stop the children in reverse order of starting."""
        console.say("stopping...")
        for child in reversed(self.children):
            await child.stop(STOP_TIMEOUT_SECONDS)
        if self.children:
            outcomes = ", ".join(
                c.name if c.stopped_as_asked else f"{c.name} (exit {c.returncode})"
                for c in self.children
            )
            console.say(f"all processes exited: {outcomes}")


async def bring_up(stack: Stack, options: LaunchOptions, environ: Mapping[str, str]) -> None:
    settings = options.settings
    ports = options.ports
    options.data_dir.mkdir(parents=True, exist_ok=True)

    await stack.start(temporal_spec(options, environ, venv_binary("temporal")))
    await stack.until_ready("Temporal", lambda: port_accepts(ports.temporal))
    temporal_settings = settings.model_copy(update={"temporal_address": f"{HOST}:{ports.temporal}"})
    client = await stack.until_ready("Temporal", lambda: temporal_client(temporal_settings))
    await stack.until_ready("Temporal Web UI", lambda: port_accepts(ports.temporal_ui))
    console.say(f"Temporal is ready on {HOST}:{ports.temporal}")

    async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_SECONDS) as http:
        simulator = url(ports.simulator)
        await stack.start(simulator_spec(options, environ))
        await stack.until_ready("simulator", lambda: http_ok(http, f"{simulator}/_sim/healthz"))
        users = await stack.until_ready(
            "simulator", lambda: http_ok(http, f"{simulator}/_sim/users")
        )
        console.say(f"simulator is ready on {simulator}")

        stack.check()
        try:
            await upgrade(options.database_url)
        except Exception as error:
            raise StackFailed(f"migrating {options.database_url} failed: {error}") from error
        console.say(f"read model migrated: {options.database_url}")

        # A poller seen before this moment belongs to an earlier worker.
        since = datetime.now(UTC) - timedelta(seconds=1)
        await stack.start(worker_spec(options, environ))
        await stack.until_ready(
            "worker", lambda: worker_polling(client, settings.temporal_task_queue, since)
        )
        console.say(f"worker is polling task queue {settings.temporal_task_queue!r}")

        api = url(ports.api)
        await stack.start(api_spec(options, environ))
        await stack.until_ready("API", lambda: http_ok(http, f"{api}/healthz"))
        await stack.until_ready("API readiness", lambda: http_ok(http, f"{api}/readyz"))
        console.say(f"API is ready on {api}")

    console.block(render_banner(options, users))


async def run_stack(options: LaunchOptions, environ: Mapping[str, str], cwd: Path) -> int:
    """Run the stack until Ctrl-C (exit 0) or until a process fails (exit 1)."""
    stack = Stack(cwd)
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stack.request_stop, sig)
    failure: Exception | None = None
    try:
        await bring_up(stack, options, environ)
        await stack.run_until_stopped()
    except StopRequested:
        pass
    except (StackFailed, FileNotFoundError) as error:
        failure = error
        if isinstance(error, StackFailed) and error.details:
            console.say(error.details)
        console.say(f"{error}; stopping the stack")
    finally:
        await stack.stop_all()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    if failure is not None:
        # Repeated last, below whatever the others printed while stopping.
        console.error(f"{failure} (see above)")
        return 1
    return 0
