"""How our command-line runs that used Temporal in-process end."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def exit_skipping_teardown(code: int = 0) -> NoReturn:
    """Flush the output and end the process without the interpreter's teardown.

    The Temporal SDK's Rust threads (its runtime, a worker's or a test server's connection)
    outlive `asyncio.run`; during the interpreter's finalization one of them can take the
    GIL and abort the process with "Fatal Python error: PyGILState_Release"
    (temporalio/sdk-python#300, open). `make bench-cost` hit it in 3 runs of 4 after its
    table was printed, and failed with exit code 134. Call it last, once every file is
    written and every `with` block has closed: it runs no `atexit` handler."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
