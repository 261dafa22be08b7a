"""Benchmark: the role overview (`GET /role/{id}/campaigns`) at tens of thousands of rows.

Measures, side by side in one run, a role of 1,000 and one of 20,000 candidates (each with a
campaign of 6 steps) on SQLite and, when `BENCH_POSTGRES_URL` or `TEST_POSTGRES_URL` is set,
PostgreSQL; reports p50/p95 latency over HTTP through the real app and the simulator, and the
ratio large/small. Run: `make bench` (or `python -m bench.role_overview`).
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
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from api.app import create_app
from bench.databases import database_kinds
from config import Settings
from db.engine import create_engine
from db.models import Campaign, CampaignStep
from tests.conftest import SERVICE_TOKEN, fresh_database
from tests.support.api_server import serve
from tests.support.campaigns import BRIEF_EXAMPLE
from tests.support.read_only_services import read_only_services
from tests.support.simulator_process import start_simulator

SIZES = {13: 1_000, 14: 20_000}
REQUESTS = 30
STATUSES = ["RUNNING", "RUNNING", "WAITING_FOR_CHANNEL", "REPLIED", "COMPLETED", "CANCELLED"]
QUERIES = {
    "first page": {"limit": 50},
    "filtered": {"limit": 50, "status": "WAITING_FOR_CHANNEL"},
    "by next action": {"limit": 50, "sort": "next_action"},
}


def write_seed(folder: Path) -> Path:
    seed = json.loads((Path(__file__).resolve().parents[1] / "simulator" / "seed.json").read_text())
    template = seed["generated"][0]
    for role_id, count in SIZES.items():
        seed["roles"].append(
            {"id": role_id, "userId": 1, "title": f"Bench {count}", "description": "bench"}
        )
        seed["generated"].append(
            template | {"roleId": role_id, "firstId": role_id * 100_000, "count": count}
        )
    path = folder / "seed.json"
    path.write_text(json.dumps(seed))
    return path


async def fill(database_url: str) -> None:
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    steps_per_campaign = len(BRIEF_EXAMPLE["nodes"])
    async with engine.begin() as connection:
        for role_id, count in SIZES.items():
            for start in range(0, count, 2_000):
                campaigns, steps = [], []
                for index in range(start, min(start + 2_000, count)):
                    campaign_id = str(uuid.uuid4())
                    status = STATUSES[index % len(STATUSES)]
                    campaigns.append(
                        {
                            "id": campaign_id,
                            "owner_user_id": 1,
                            "role_id": role_id,
                            "candidate_id": role_id * 100_000 + index,
                            "workflow_id": f"bench-{campaign_id}",
                            "status": status,
                            "definition": BRIEF_EXAMPLE,
                            "definition_hash": "bench",
                            "created_at": now,
                            "started_at": now,
                            "ends_at": now + timedelta(days=30),
                            "next_action": "Send Email",
                            "updated_at": now,
                            "next_action_at": now + timedelta(minutes=index % 10_000),
                            "steps_total": steps_per_campaign,
                            "steps_done": index % 7,
                            "snapshot_seq": 1,
                        }
                    )
                    steps.extend(
                        {
                            "campaign_id": campaign_id,
                            "node_id": node["id"],
                            "position": position,
                            "type": node["type"],
                            "status": "PENDING",
                            "attempts": 0,
                        }
                        for position, node in enumerate(BRIEF_EXAMPLE["nodes"])
                    )
                await connection.execute(insert(Campaign), campaigns)
                await connection.execute(insert(CampaignStep), steps)
    await engine.dispose()


async def measure(url: str, role_id: int, params: dict[str, object]) -> list[float]:
    timings = []
    headers = {"Authorization": "Bearer tok-andreas"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        (await http.get(f"/role/{role_id}/campaigns", params=params)).raise_for_status()  # warm
        for _ in range(REQUESTS):
            began = time.perf_counter()
            response = await http.get(f"/role/{role_id}/campaigns", params=params)
            timings.append((time.perf_counter() - began) * 1000)
            response.raise_for_status()
    return timings


async def bench_database(kind: str, folder: Path, simulator: str) -> list[str]:
    lines = []
    async with fresh_database(kind, folder) as database_url:
        began = time.perf_counter()
        await fill(database_url)
        lines.append(
            f"{kind}: filled {sum(SIZES.values()):,} campaigns in "
            f"{time.perf_counter() - began:.1f} s"
        )
        settings = Settings(
            database_url=database_url,
            platform_base_url=simulator,
            platform_service_token=SERVICE_TOKEN,
        )
        engine = create_engine(database_url)
        services = await read_only_services(settings, engine, simulator, platform_timeout=60)
        try:
            async with serve(create_app(settings, services)) as url:
                for name, params in QUERIES.items():
                    small, large = [await measure(url, r, params) for r in SIZES]
                    p50s, p50l = statistics.median(small), statistics.median(large)
                    p95l = statistics.quantiles(large, n=20)[-1]
                    lines.append(
                        f"{kind:10} {name:15} 1k p50 {p50s:7.1f} ms | 20k p50 {p50l:7.1f} ms, "
                        f"p95 {p95l:7.1f} ms | ratio 20k/1k {p50l / p50s:5.1f}x"
                    )
        finally:
            await services.platform.aclose()
            await engine.dispose()
    return lines


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    kinds = database_kinds()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SIMULATOR_SEED_FILE"] = str(write_seed(Path(folder)))
        with start_simulator(service_token=SERVICE_TOKEN) as simulator:
            for kind in kinds:
                for line in await bench_database(kind, Path(folder), simulator.url):
                    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    asyncio.run(main())
