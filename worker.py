"""The campaign worker: runs CampaignWorkflow and its activities on the task queue.

`python worker.py` runs it until SIGINT/SIGTERM, configured by environment variables (config.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.recording import RecordingActivities
from activities.sending import SendingActivities
from config import Settings, get_settings
from db.engine import SessionFactory, create_engine, create_session_factory
from db.migrate import upgrade_engine
from recruiting_platform import PlatformClient
from temporal_client import connect_temporal
from workflows.campaign import CampaignWorkflow

logger = logging.getLogger(__name__)


def build_worker(
    client: Client,
    *,
    task_queue: str,
    platform: PlatformClient,
    sessions: SessionFactory,
    max_concurrent_activities: int = 200,
) -> Worker:
    sending = SendingActivities(platform)
    recording = RecordingActivities(sessions)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CampaignWorkflow],
        activities=[sending.send_message, recording.record_progress],
        max_concurrent_activities=max_concurrent_activities,
        # On SIGTERM (a deploy), sends under way get time to finish instead of a retry.
        graceful_shutdown_timeout=timedelta(seconds=30),
    )


def build_platform_client(settings: Settings) -> PlatformClient:
    return PlatformClient(
        settings.platform_base_url,
        settings.platform_service_token,
        timeout_seconds=settings.platform_timeout_seconds,
        max_connections=settings.platform_max_connections,
    )


async def run_worker(settings: Settings) -> None:
    client = await connect_temporal(settings)
    engine = create_engine(settings.database_url)
    await upgrade_engine(engine)
    platform = build_platform_client(settings)
    worker = build_worker(
        client,
        task_queue=settings.temporal_task_queue,
        platform=platform,
        sessions=create_session_factory(engine),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info("Worker polling task queue %s", settings.temporal_task_queue)
    try:
        async with worker:
            await stop.wait()
    finally:
        await platform.aclose()
        await engine.dispose()
        logger.info("Worker stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per platform call is noise
    asyncio.run(run_worker(get_settings()))
