"""The launcher's terminal output: its own lines and its children's, each with a prefix."""

from __future__ import annotations

import sys

LAUNCHER = "make dev"
PREFIX_WIDTH = len("[simulator]")


def _write(prefix: str, text: str) -> None:
    sys.stdout.write(f"{prefix:<{PREFIX_WIDTH}} {text}\n")
    sys.stdout.flush()


def say(text: str) -> None:
    """A line from the launcher itself."""
    for line in text.splitlines() or [""]:
        _write(f"[{LAUNCHER}]", line)


def child_line(name: str, line: str) -> None:
    _write(f"[{name}]", line)


def block(text: str) -> None:
    """Text shown as it is, without a prefix (the banner)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def error(text: str) -> None:
    sys.stderr.write(f"{LAUNCHER}: {text}\n")
    sys.stderr.flush()
