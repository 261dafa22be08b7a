"""Benchmark: the dashboard's role page (`GET /dashboard/roles/{id}` and its `/live` fragment)
at 10,000 candidates, 6,000 of them with a campaign.

Server time (from the request's arrival to the last byte of the answer, measured by an ASGI
wrapper around the real app) over HTTP, signed in through the real sign-in, with the simulator
as the platform; p50/p95 over REQUESTS requests each, on SQLite and, when `BENCH_POSTGRES_URL`
or `TEST_POSTGRES_URL` is set, PostgreSQL. "cold" requests first empty the role's candidate
caches, so they include fetching the 10,000 candidates from the platform (once every
`role_directories` TTL in real use). Target: under 50 ms on PostgreSQL for the warm page and
live update. Run: `make bench-role-page` (or `python -m bench.role_page`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from bench.databases import database_kinds
from db.engine import create_engine
from process_memory import freeze_startup_objects
from tests.api.conftest import make_settings
from tests.conftest import SERVICE_TOKEN, fresh_database
from tests.dashboard.role_seed import SeedCampaign, seed
from tests.support.api_server import serve
from tests.support.read_only_services import read_only_services
from tests.support.simulator_process import start_simulator

ROLE_ID = 15
FIRST_ID = 1_500_000
CANDIDATES = 10_000
REQUESTS = 40
COLD_REQUESTS = 5
STATUSES = ["RUNNING", "RUNNING", "WAITING_FOR_CHANNEL", "PAUSED", "REPLIED", "COMPLETED"]
PAGE = f"/dashboard/roles/{ROLE_ID}"
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "page: with a campaign": (PAGE, {}),
    "page: all, page 100": (PAGE, {"status": "ALL", "page": "100"}),
    "page: search 'alex'": (PAGE, {"status": "ALL", "q": "alex"}),
    "page: by next action": (PAGE, {"sort": "next_action"}),
    "live update": (f"{PAGE}/live", {}),
}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ServerTimer:
    """ASGI wrapper: how long the app took for the last HTTP request, in milliseconds: wall
    time, and this process's CPU time (the client waits meanwhile, so it is the server's; on a
    machine busy with other work it shows what wall time an idle one would give, the database
    server's own time excepted)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_ms = 0.0
        self.last_cpu_ms = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, began_cpu = time.perf_counter(), time.process_time()

        async def timed(message: MutableMapping[str, Any]) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last_ms = (time.perf_counter() - began) * 1000
                self.last_cpu_ms = (time.process_time() - began_cpu) * 1000

        await self.app(scope, receive, timed)


def write_seed(folder: Path) -> Path:
    seed_data = json.loads(
        (Path(__file__).resolve().parents[1] / "simulator" / "seed.json").read_text()
    )
    template = seed_data["generated"][0]
    seed_data["roles"].append(
        {"id": ROLE_ID, "userId": 1, "title": "Bench 10k", "description": "bench"}
    )
    seed_data["generated"].append(
        template | {"roleId": ROLE_ID, "firstId": FIRST_ID, "count": CANDIDATES}
    )
    path = folder / "seed.json"
    path.write_text(json.dumps(seed_data))
    return path


def campaigns() -> list[SeedCampaign]:
    """Three candidates in five have a campaign; the waiting ones wait for LinkedIn."""
    seeds = []
    for index in range(CANDIDATES):
        if index % 5 >= 3:
            continue
        status = STATUSES[index % len(STATUSES)]
        waiting = status == "WAITING_FOR_CHANNEL"
        seeds.append(
            SeedCampaign(
                FIRST_ID + index,
                status,
                ROLE_ID,
                waiting_channel_type="LINKEDIN" if waiting else None,
                waiting_cause="LOGGED_OUT" if waiting else None,
                next_in_minutes=index % 5_000,
            )
        )
    return seeds


def _percentiles(timings: list[float]) -> tuple[float, float]:
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else timings[0]
    return statistics.median(timings), p95


def _line(kind: str, name: str, timings: list[tuple[float, float]]) -> str:
    wall50, wall95 = _percentiles([wall for wall, _ in timings])
    cpu50, cpu95 = _percentiles([cpu for _, cpu in timings])
    return (
        f"{kind:10} {name:24} wall p50 {wall50:7.1f} ms p95 {wall95:7.1f} ms | "
        f"cpu p50 {cpu50:6.1f} ms p95 {cpu95:6.1f} ms (n={len(timings)})"
    )


async def measure(
    http: httpx.AsyncClient,
    timer: ServerTimer,
    path: str,
    params: dict[str, str],
    count: int,
    before: Callable[[], None] | None = None,
) -> list[tuple[float, float]]:
    timings = []
    for _ in range(count):
        if before:
            before()
        response = await http.get(path, params=params, headers={"X-Dashboard-Live": "1"})
        response.raise_for_status()
        timings.append((timer.last_ms, timer.last_cpu_ms))
    return timings


async def bench_database(kind: str, folder: Path, simulator: str) -> list[str]:
    lines = []
    async with fresh_database(kind, folder) as database_url:
        settings = make_settings(database_url, simulator, "bench")
        engine = create_engine(database_url)
        began = time.perf_counter()
        await seed(engine, campaigns())
        lines.append(
            f"{kind}: seeded {CANDIDATES:,} candidates, {len(campaigns()):,} campaigns in "
            f"{time.perf_counter() - began:.1f} s"
        )
        services = await read_only_services(settings, engine, simulator, platform_timeout=60)
        timer = ServerTimer(create_app(settings, services))
        # As the API's own process does once started (its app builds its services; this one
        # is given them): start-up's objects leave the garbage collector's full scans.
        freeze_startup_objects()

        def forget_candidates() -> None:
            services.role_directories.clear()
            services.role_candidates.clear()

        try:
            async with (
                serve(timer) as url,  # type: ignore[arg-type]
                httpx.AsyncClient(base_url=url, timeout=120) as http,
            ):
                signed = await http.post("/dashboard/login", data={"token": "tok-andreas"})
                assert signed.status_code == 303, signed.text
                for name, (path, params) in CASES.items():
                    await measure(http, timer, path, params, 2)  # warm
                    timings = await measure(http, timer, path, params, REQUESTS)
                    lines.append(_line(kind, name, timings))
                cold = await measure(http, timer, PAGE, {}, COLD_REQUESTS, forget_candidates)
                lines.append(_line(kind, "page, cold candidates", cold))
        finally:
            await services.platform.aclose()
            await engine.dispose()
    return lines


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    kinds = database_kinds()
    load = os.getloadavg()[0]
    sys.stdout.write(f"load average at start: {load:.1f} on {os.cpu_count()} CPUs\n")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SIMULATOR_SEED_FILE"] = str(write_seed(Path(folder)))
        with start_simulator(service_token=SERVICE_TOKEN) as simulator:
            for kind in kinds:
                for line in await bench_database(kind, Path(folder), simulator.url):
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
