"""Record one workflow history per way a campaign ends, for the replay tests.

Run it (`make histories`) when a deliberate workflow change makes the old histories obsolete:
only after the change is guarded by `workflow.patched` for campaigns already running.
It starts its own time-skipping server, simulator and SQLite read model.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from campaigns.contracts import ChannelRestored, ReplyReceived
from campaigns.definition import ChannelType
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_engine
from recruiting_platform import PlatformClient
from temporal_client import register_search_attributes
from tests.conftest import SERVICE_TOKEN, WEBHOOK_SECRET, venv_binary
from tests.support.campaigns import (
    ANDREAS,
    campaign_input,
    eventually,
    sent_messages,
    sim_post,
    start_campaign,
)
from tests.support.simulator_process import start_simulator
from worker import build_worker
from workflows.campaign import CampaignWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "tests" / "workflows" / "histories"
logger = logging.getLogger(__name__)

Scenario = Callable[[WorkflowHandle, str], Awaitable[None]]


async def _replied(handle: WorkflowHandle, simulator: str) -> None:
    await eventually(lambda: _sent(simulator, 2))
    await handle.signal(CampaignWorkflow.reply, ReplyReceived(channel_id=100, message_id=1))


async def _completed(handle: WorkflowHandle, simulator: str) -> None:
    return None


async def _cancelled(handle: WorkflowHandle, simulator: str) -> None:
    await eventually(lambda: _sent(simulator, 2))
    await handle.cancel()


async def _waited_for_channel(handle: WorkflowHandle, simulator: str) -> None:
    async def waiting() -> bool:
        progress = await handle.query(CampaignWorkflow.progress)
        return progress.status.value == "WAITING_FOR_CHANNEL"

    await eventually(waiting)
    channel = ANDREAS["linkedin_channel"]
    await sim_post(
        simulator,
        f"/_sim/channels/{channel}/status",
        {"status": "OK", "deliverWebhook": False},
        "PUT",
    )
    await handle.signal(
        CampaignWorkflow.channel_restored, ChannelRestored(channel_type=ChannelType.LINKEDIN)
    )


async def _before_waited_for_channel(simulator: str) -> None:
    channel = ANDREAS["linkedin_channel"]
    await sim_post(
        simulator,
        f"/_sim/channels/{channel}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        "PUT",
    )


async def _sent(simulator: str, count: int) -> bool:
    return len(await sent_messages(simulator)) >= count


SCENARIOS: dict[str, Scenario] = {
    "replied": _replied,
    "completed": _completed,
    "cancelled": _cancelled,
    "waited_for_channel": _waited_for_channel,
}


async def record(
    client: Client, platform: PlatformClient, database_url: str, simulator: str
) -> None:
    engine = create_engine(database_url)
    await upgrade_engine(engine)
    sessions = create_session_factory(engine)
    task_queue = f"record-{uuid.uuid4()}"
    async with build_worker(client, task_queue=task_queue, platform=platform, sessions=sessions):
        for name, scenario in SCENARIOS.items():
            await sim_post(simulator, "/_sim/reset")
            if name == "waited_for_channel":
                await _before_waited_for_channel(simulator)
            handle = await start_campaign(client, campaign_input(), task_queue)
            await scenario(handle, simulator)
            await handle.result()
            history = await handle.fetch_history()
            path = HISTORIES / f"{name}.json"
            path.write_text(history.to_json())
            logger.info("%s: %d events → %s", name, len(history.events), path)
    await engine.dispose()


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    HISTORIES.mkdir(parents=True, exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client, env.client.namespace)
    try:
        with (
            start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET) as sim,
            tempfile.TemporaryDirectory() as folder,
        ):
            async with PlatformClient(sim.url, SERVICE_TOKEN) as platform:
                await record(env.client, platform, f"sqlite+aiosqlite:///{folder}/h.db", sim.url)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
