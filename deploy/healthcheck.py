"""Container health checks of the compose stack (docker-compose.temporal.yml).

    python deploy/healthcheck.py api 8000   # GET /readyz: 200 only when Temporal and the DB answer
    python deploy/healthcheck.py worker     # the worker has no port: Temporal and the DB answer

Exit status 0 means healthy. The worker check uses the worker's own settings (config.py), so it
proves the container can reach what the worker needs, not that this process is polling.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.request

TIMEOUT_SECONDS = 5


def api_ready(port: int) -> None:
    # urlopen raises for any status other than 2xx, e.g. /readyz's 503.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=TIMEOUT_SECONDS):
        pass


async def worker_dependencies() -> None:
    from sqlalchemy import text

    from config import get_settings
    from db.engine import create_engine
    from temporal_client import connect_temporal

    settings = get_settings()
    client = await connect_temporal(settings)
    await client.service_client.check_health()
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    try:
        match argv:
            case ["api", port]:
                api_ready(int(port))
            case ["worker"]:
                asyncio.run(asyncio.wait_for(worker_dependencies(), TIMEOUT_SECONDS * 2))
            case _:
                sys.stderr.write(__doc__ or "")
                return 2
    except Exception as error:  # any failure means unhealthy; say which
        # One line: Docker keeps the last output of each check (`docker inspect`).
        sys.stderr.write(f"unhealthy: {type(error).__name__}: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
