"""How long a reply whose webhook was lost takes to stop its campaign, and what a sweep costs.

On the Temporal dev server (real clock) with the simulator's webhooks off: N campaigns of the
brief's example for role 12's candidates, one worker in this process with the reply watcher at
a short interval, then each candidate replies at a random moment. Prints the detection delay
(reply written → campaign REPLIED) as a share of the interval, and the watcher's time per
batch of campaigns, from which a sweep at 100,000 active campaigns is extrapolated.

    make bench-replies            # or: python -m bench.reply_detection --campaigns 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import tempfile
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from campaigns.contracts import CampaignProgress
from db.engine import create_engine, create_session_factory
from devstack.commands import venv_binary
from recruiting_platform import PlatformClient
from tests.conftest import DATA_CONVERTER, SERVICE_TOKEN, WEBHOOK_SECRET, fresh_database
from tests.support.campaigns import BRIEF_EXAMPLE, campaign_input, sim_post, start_campaign
from tests.support.simulator_process import start_simulator
from worker import build_worker, ensure_reply_watcher
from workflows.campaign import CampaignWorkflow
from workflows.reply_watcher import ReplyWatcherWorkflow, watcher_id
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

logger = logging.getLogger(__name__)
ROLE_BULK = 12
FIRST_BULK_CANDIDATE = 5000
EMAIL_CHANNEL = 100


async def run(campaigns: int, interval: float, batch_size: int) -> dict[str, float]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_log_level="error",
    )
    try:
        with (
            start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET) as sim,
            tempfile.TemporaryDirectory() as folder,
        ):
            async with fresh_database("sqlite", Path(folder)) as url:
                engine = create_engine(url)
                platform = PlatformClient(sim.url, SERVICE_TOKEN)
                try:
                    return await _measure(
                        env, sim.url, engine, platform, campaigns, interval, batch_size
                    )
                finally:
                    await platform.aclose()
                    await engine.dispose()
    finally:
        await env.shutdown()


async def _measure(env, simulator, engine, platform, campaigns, interval, batch_size):
    client = env.client
    task_queue = f"bench-{uuid.uuid4()}"
    handles = []
    async with build_worker(
        client, task_queue=task_queue, platform=platform, sessions=create_session_factory(engine)
    ):
        for offset in range(campaigns):
            campaign = campaign_input(
                BRIEF_EXAMPLE, candidate_id=FIRST_BULK_CANDIDATE + offset, role_id=ROLE_BULK
            )
            handles.append(await start_campaign(client, campaign, task_queue))
        # Wait until every campaign is in its first delay (both first messages sent).
        for handle in handles:
            while True:
                progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
                if any(s.node_id == 3 and s.status.value == "IN_PROGRESS" for s in progress.steps):
                    break
                await asyncio.sleep(0.2)
        await ensure_reply_watcher(
            client, task_queue=task_queue, interval_seconds=interval, batch_size=batch_size
        )
        order = list(range(campaigns))
        random.Random(7).shuffle(order)
        spread = interval * 2  # replies land at every phase of the watcher's cycle
        for offset in order:
            await asyncio.sleep(spread / campaigns)
            candidate_id = FIRST_BULK_CANDIDATE + offset
            await sim_post(
                simulator,
                f"/_sim/candidates/{candidate_id}/reply",
                {"channelId": EMAIL_CHANNEL, "deliverWebhook": False},
            )
        delays: list[float] = []
        for handle in handles:
            # Both clocks are this machine's: the platform's sentAt and the workflow's end.
            ended: CampaignProgress = await handle.result()
            assert ended.reply is not None and ended.reply.received_at is not None
            delays.append((ended.ended_at - ended.reply.received_at).total_seconds())
        watcher = client.get_workflow_handle(watcher_id(task_queue))
        sweep = await watcher.query(ReplyWatcherWorkflow.sweep_progress)
        batch_seconds = await _batch_seconds(client, task_queue)
        await watcher.terminate()
    return {
        "campaigns": campaigns,
        "interval_s": interval,
        "detection_p50_s": statistics.median(delays),
        "detection_max_s": max(delays),
        "detection_p50_of_interval": statistics.median(delays) / interval,
        "detection_max_of_interval": max(delays) / interval,
        "batch_size": batch_size,
        "seconds_per_batch": batch_seconds,
        "sweep_at_100k_minutes": batch_seconds * (100_000 / batch_size) / 60,
        "last_run_checked": sweep.checked,
    }


async def _batch_seconds(client, task_queue: str) -> float:
    """Mean wall time of the watcher's batch activities, from its histories."""
    durations: list[float] = []
    async for execution in client.list_workflows(f"WorkflowId = '{watcher_id(task_queue)}'"):
        history = await client.get_workflow_handle(
            execution.id, run_id=execution.run_id
        ).fetch_history()
        started: dict[int, float] = {}
        for event in history.events:
            if event.HasField("activity_task_started_event_attributes"):
                started[event.activity_task_started_event_attributes.scheduled_event_id] = (
                    event.event_time.ToDatetime().timestamp()
                )
            if event.HasField("activity_task_completed_event_attributes"):
                attributes = event.activity_task_completed_event_attributes
                begun = started.get(attributes.scheduled_event_id)
                if begun is not None:
                    durations.append(event.event_time.ToDatetime().timestamp() - begun)
    return statistics.mean(durations) if durations else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--interval", type=float, default=5.0, help="watcher interval, seconds")
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.campaigns, args.interval, args.batch_size))
    width = max(len(key) for key in result)
    for key, value in result.items():
        logger.warning(
            "%s %s", key.ljust(width), f"{value:.3f}" if isinstance(value, float) else value
        )
    logger.warning("%s", json.dumps(result))


if __name__ == "__main__":
    main()
