"""End to end on the real Temporal dev server: the API, a worker process, the simulator and a
database, with a demo time scale so the brief's 30-day campaign runs in a minute."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import AppServices
from campaigns.contracts import workflow_id_for
from db.engine import create_engine, create_session_factory
from recruiting_platform import PlatformClient
from tests.api.conftest import make_settings
from tests.conftest import (
    PAYLOAD_KEYS,
    PLATFORM_TIMEOUT_SECONDS,
    SERVICE_TOKEN,
    WEBHOOK_SECRET,
    fresh_database,
)
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
# One day of the campaign lasts 2 s: the delays take 4 s and 10 s, the 30 days 60 s. A worker
# restarted after the 2-day delay sends the last message about 15 s plus its restart time after
# the start, so a restart slowed down by a busy machine (15 s have been seen) still comes back
# long before the 30 days are over, and the outcome does not depend on it.
TIME_SCALE = 43_200
SCALED_DAY = timedelta(days=1) / TIME_SCALE
TWO_DAY_DELAY = "Wait 2 d before node 4"  # the summary the workflow gives the delay's timer
# Waiting for the campaign's end: its 30 days, and room for a busy machine.
END_DEADLINE_SECONDS = (30 * SCALED_DAY + timedelta(minutes=2)).total_seconds()


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
            platform=PlatformClient(
                simulator, SERVICE_TOKEN, timeout_seconds=PLATFORM_TIMEOUT_SECONDS
            ),
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
                "PAYLOAD_KEYS": PAYLOAD_KEYS,
            },
            tmp_path / "worker.log",
        )
        worker.start()
        try:
            async with serve(create_app(settings, services)) as url:
                async with httpx.AsyncClient(base_url=simulator, timeout=30) as http:
                    await http.put("/_sim/config", json={"webhookUrl": url})
                yield url, worker
        finally:
            worker.stop()
            await services.platform.aclose()
            await engine.dispose()


def _times(messages: list[dict]) -> list[datetime]:
    return [datetime.fromisoformat(m["sentAt"].replace("Z", "+00:00")) for m in messages]


async def _status(url: str) -> str | None:
    async with httpx.AsyncClient(base_url=url, headers=_auth(), timeout=30) as http:
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

    await eventually(completed, timeout=END_DEADLINE_SECONDS, interval=0.5)
    sent = await sent_messages(simulator, MILAN)
    assert [(m["channelId"], m["subject"]) for m in sent] == [
        (ANDREAS["linkedin_channel"], None),
        (ANDREAS["email_channel"], "Open to new opportunities?"),
        (ANDREAS["email_channel"], "Re: Open to new opportunities?"),
        (ANDREAS["email_channel"], "Re: Open to new opportunities?"),
    ]
    first, second, third, fourth = _times(sent)
    assert second - first < 2 * SCALED_DAY  # at once: sooner than the 2-day delay would allow
    assert third - second >= 2 * SCALED_DAY
    assert fourth - third >= 5 * SCALED_DAY


async def test_worker_killed_during_a_delay_loses_nothing_and_sends_nothing_twice(
    stack: tuple[str, WorkerProcess], simulator: str, dev_temporal_env: WorkflowEnvironment
) -> None:
    url, worker = stack
    async with httpx.AsyncClient(base_url=url, headers=_auth()) as http:
        assert (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).status_code == 201

    async def two_sent() -> bool:
        return len(await sent_messages(simulator, MILAN)) >= 2

    async def two_day_delay_is(state: str) -> bool:
        return await _timer_state(dev_temporal_env.client, MILAN, TWO_DAY_DELAY) == state

    await eventually(two_sent)
    await eventually(lambda: two_day_delay_is("started"))
    worker.kill()
    # The 2-day delay runs out on the server while no worker runs, and nothing is sent.
    await eventually(lambda: two_day_delay_is("fired"))
    assert len(await sent_messages(simulator, MILAN)) == 2
    worker.start()

    # The restarted worker sends the last two messages; the 30-day end itself is the test
    # above's, so this one ends the campaign once they are out and then counts every POST.
    async def four_sent() -> bool:
        return len(await sent_messages(simulator, MILAN)) >= 4

    await eventually(four_sent, timeout=END_DEADLINE_SECONDS, interval=0.5)
    async with httpx.AsyncClient(base_url=url, headers=_auth(), timeout=30) as http:
        cancelled = await http.delete(CAMPAIGN)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED"
    sent = await sent_messages(simulator, MILAN)
    assert len(sent) == 4
    assert len({m["idempotencyKey"] for m in sent}) == 4


async def _timer_state(temporal: Client, candidate_id: int, summary: str) -> str | None:
    """Where the candidate's campaign is with its timer called `summary`, by the workflow's
    history on the server (readable with no worker): None, "started", then "fired"."""
    handle = temporal.get_workflow_handle(workflow_id_for(candidate_id))
    events = (await handle.fetch_history()).events
    timers = {
        event.event_id
        for event in events
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
        and event.user_metadata.HasField("summary")
        # Summaries are encrypted like every payload the worker writes.
        and (await temporal.data_converter.decode([event.user_metadata.summary], [str]))[0]
        == summary
    }
    if any(
        event.event_type == EventType.EVENT_TYPE_TIMER_FIRED
        and event.timer_fired_event_attributes.started_event_id in timers
        for event in events
    ):
        return "fired"
    return "started" if timers else None
