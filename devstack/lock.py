"""`.data/devstack.pid`: holds the running launcher's pid and an exclusive lock.

The lock (flock) goes away with the process however it ends, so a stale file from a crash
never blocks the next `make dev`; the pid inside only makes the error message useful.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class StackAlreadyRunning(RuntimeError):
    pass


class StackLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StackAlreadyRunning(
                f"Another `make dev` is already running (pid {holder}, lock {self.path}). "
                "Stop it (Ctrl-C in its terminal) before starting a new one."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> StackLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
