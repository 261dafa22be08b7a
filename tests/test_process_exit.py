"""`process_exit.exit_skipping_teardown`: the code is the process's, and nothing written is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROGRAM = """
import logging, sys
from process_exit import exit_skipping_teardown
logging.basicConfig(filename=sys.argv[1], level=logging.INFO, format="%(message)s")
logging.getLogger("run").info("logged before the exit")
sys.stdout.write("table printed before the exit")  # no newline: still in the buffer
import atexit
atexit.register(lambda: print("atexit ran"))
exit_skipping_teardown(3)
"""


def test_the_exit_code_is_kept_and_buffered_output_and_logs_are_flushed(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(log)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert done.stdout == "table printed before the exit"
    assert log.read_text() == "logged before the exit\n"
