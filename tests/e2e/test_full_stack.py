"""End to end on the real Temporal dev server: the API, a worker process, the simulator and a
database, with the demo time scale so the brief's 30-day campaign runs in seconds."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import AppServices
from db.engine import create_engine, create_session_factory
from recruiting_platform import PlatformClient
from tests.api.conftest import make_settings
from tests.conftest import SERVICE_TOKEN, WEBHOOK_SECRET, fresh_database
from tests.support.api_server import serve
from tests.support.campaigns import (
    ANDREAS,
    BRIEF_EXAMPLE,
    MILAN,
    ROLE_SWE,
    eventually,
    sent_messages,
)
from tests.support.worker_process import WorkerProcess

REPO = Path(__file__).resolve().parents[2]
CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
# One day of the campaign lasts half a second: delays of 1 s and 2.5 s, the end after 15 s.
TIME_SCALE = 172_800


@pytest.fixture
async def stack(
    dev_temporal_env: WorkflowEnvironment,
    simulator: str,
    task_queue: str,
    tmp_path: Path,
) -> AsyncIterator[tuple[str, WorkerProcess]]:
    async with fresh_database("sqlite", tmp_path) as database_url:
        settings = make_settings(database_url, simulator, task_queue).model_copy(
            update={"campaign_time_scale": float(TIME_SCALE)}
        )
        engine = create_engine(database_url)
        services = AppServices(
            settings=settings,
            temporal=dev_temporal_env.client,
            engine=engine,
            sessions=create_session_factory(engine),
            platform=PlatformClient(simulator, SERVICE_TOKEN),
        )
        worker = WorkerProcess(
            {
                **os.environ,
                "TEMPORAL_ADDRESS": dev_temporal_env.client.service_client.config.target_host,
                "TEMPORAL_TASK_QUEUE": task_queue,
                "DATABASE_URL": database_url,
                "PLATFORM_BASE_URL": simulator,
                "PLATFORM_SERVICE_TOKEN": SERVICE_TOKEN,
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
            },
            tmp_path / "worker.log",
        )
        worker.start()
        try:
            async with serve(create_app(settings, services)) as url:
                async with httpx.AsyncClient(base_url=simulator) as http:
                    await http.put("/_sim/config", json={"webhookUrl": url})
                yield url, worker
        finally:
            worker.stop()
            await services.platform.aclose()
            await engine.dispose()


def _times(messages: list[dict]) -> list[datetime]:
    return [datetime.fromisoformat(m["sentAt"].replace("Z", "+00:00")) for m in messages]


async def _status(url: str) -> str | None:
    async with httpx.AsyncClient(base_url=url, headers=_auth()) as http:
        response = await http.get(CAMPAIGN)
    return response.json()["status"] if response.status_code == 200 else None


def _auth() -> dict[str, str]:
    return {"Authorization": "Bearer tok-andreas"}


async def test_brief_example_runs_to_its_30_day_end_on_the_dev_server(
    stack: tuple[str, WorkerProcess], simulator: str
) -> None:
    url, _ = stack
    async with httpx.AsyncClient(base_url=url, headers=_auth()) as http:
        assert (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).status_code == 201

    async def completed() -> bool:
        return await _status(url) == "COMPLETED"

    await eventually(completed, timeout=60, interval=0.5)
    sent = await sent_messages(simulator, MILAN)
    assert [(m["channelId"], m["subject"]) for m in sent] == [
        (ANDREAS["linkedin_channel"], None),
        (ANDREAS["email_channel"], "Open to new opportunities?"),
        (ANDREAS["email_channel"], "Re: Open to new opportunities?"),
        (ANDREAS["email_channel"], "Re: Open to new opportunities?"),
    ]
    first, second, third, fourth = _times(sent)
    assert (second - first).total_seconds() < 1.0  # at once
    assert (third - second).total_seconds() >= 1.0  # 2 days / scale
    assert (fourth - third).total_seconds() >= 2.5  # 5 days / scale


async def test_worker_killed_during_a_delay_loses_nothing_and_sends_nothing_twice(
    stack: tuple[str, WorkerProcess], simulator: str
) -> None:
    url, worker = stack
    async with httpx.AsyncClient(base_url=url, headers=_auth()) as http:
        assert (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).status_code == 201

    async def two_sent() -> bool:
        return len(await sent_messages(simulator, MILAN)) >= 2

    await eventually(two_sent, timeout=30)
    worker.kill()
    await asyncio.sleep(4)  # the 2-day and most of the 5-day delay pass with no worker
    assert len(await sent_messages(simulator, MILAN)) == 2
    worker.start()

    async def completed() -> bool:
        return await _status(url) == "COMPLETED"

    await eventually(completed, timeout=60, interval=0.5)
    sent = await sent_messages(simulator, MILAN)
    assert len(sent) == 4
    assert len({m["idempotencyKey"] for m in sent}) == 4
