"""One child process of the stack: started in its own process group, output prefixed and kept.

Each child gets its own process group so that Ctrl-C in the terminal reaches only the launcher,
which then stops the children in reverse order; stopping signals the whole group, so nothing a
child started itself is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from pathlib import Path

from devstack import console
from devstack.commands import ChildSpec

TAIL_LINES = 30
LINE_LIMIT = 1 << 20  # a longer line is passed on in pieces


class Child:
    def __init__(self, spec: ChildSpec, cwd: Path) -> None:
        self.spec = spec
        self.cwd = cwd
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self.spec.command,
            cwd=self.cwd,
            env=self.spec.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            process_group=0,
            limit=LINE_LIMIT,
        )
        self._pump = asyncio.create_task(self._pump_output(), name=f"output of {self.name}")

    async def _pump_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line longer than LINE_LIMIT
                raw = await stream.read(LINE_LIMIT)
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.tail.append(line)
            if not (self._stopping and self.spec.quiet_when_stopping):
                console.child_line(self.name, line)

    async def wait(self) -> int:
        assert self._process is not None, "not started"
        return await self._process.wait()

    @property
    def stopped_as_asked(self) -> bool:
        """Exited cleanly after SIGTERM (uvicorn re-raises the signal once it has shut down)."""
        return self.returncode in (0, -signal.SIGTERM)

    def describe_exit(self) -> str:
        code = self.returncode
        if code is not None and code < 0:
            return f"{self.name} was killed by {signal.Signals(-code).name}"
        return f"{self.name} exited with code {code}"

    def last_lines(self) -> str:
        return "\n".join(f"  [{self.name}] {line}" for line in self.tail) or "  (no output)"

    async def stop(self, timeout: float) -> None:
        """SIGTERM to the child's group, SIGKILL after `timeout` seconds, then reap it."""
        if self._process is None:
            return
        self._stopping = True
        if self._process.returncode is None:
            self._signal_group(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), timeout)
            except TimeoutError:
                console.say(f"{self.name} did not stop within {timeout:.0f} s; killing it")
                self._signal_group(signal.SIGKILL)
                await self._process.wait()
        if self._pump is not None:
            # The pipe closes when the child exits; a grandchild still holding it must not
            # keep the launcher waiting.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pump, 2)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)
