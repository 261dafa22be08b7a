"""`python -m devstack` (what `make dev` runs): the whole stack until Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import sys

from config import PROJECT_ROOT, get_settings
from devstack import console
from devstack.lock import StackAlreadyRunning, StackLock
from devstack.options import OptionError, parse_options
from devstack.ports import PortError, ensure_ports_free
from devstack.stack import run_stack


def main() -> int:
    environ = dict(os.environ)
    try:
        options = parse_options(environ, get_settings)
        with StackLock(options.pid_file):
            ensure_ports_free(options.ports)
            return asyncio.run(run_stack(options, environ, PROJECT_ROOT))
    except (OptionError, PortError, StackAlreadyRunning) as problem:
        console.error(str(problem))
        return 2


if __name__ == "__main__":
    sys.exit(main())
