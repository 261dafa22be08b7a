"""The API's own process leaves what start-up built out of later garbage collections
(process_memory.freeze_startup_objects); an app given its services (a test's) does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import asyncio, gc, sys
from api.app import create_app
from tests.api.conftest import make_settings

async def main():
    app = create_app(make_settings(sys.argv[1], "http://127.0.0.1:9", "unused"))
    before = gc.get_freeze_count()
    async with app.router.lifespan_context(app):
        print(before, gc.get_freeze_count())

asyncio.run(main())
"""


def test_the_api_process_freezes_what_its_start_up_built(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    answer = subprocess.run(
        [sys.executable, "-c", PROBE, database_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    before, after = map(int, answer.stdout.split())
    assert before == 0
    # The modules, routes and services: far more than any one request's objects.
    assert after > 50_000, answer.stdout
