"""The campaign worker: runs CampaignWorkflow, the reply watcher and their activities on the
task queue, and makes sure the task queue's reply watcher runs.

`python worker.py` runs it until SIGINT/SIGTERM, configured by environment variables (config.py).
"""

from __future__ import annotations

import asyncio
import compileall
import logging
import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from activities.event_delivery import EventDeliveryActivities
from activities.recording import RecordingActivities
from activities.reply_checks import ReplyCheckActivities
from activities.sending import SendingActivities
from campaigns.contracts import ReplyWatchInput
from campaigns.outbound_events import EventFeedInput
from config import Settings, get_settings
from db.engine import SessionFactory, create_engine, create_session_factory
from observability.logs import configure_logging
from observability.worker_metrics import WorkerMetrics, serve_worker_metrics, temporal_runtime
from process_memory import freeze_startup_objects
from recruiting_platform import PlatformClient
from temporal_client import connect_temporal
from workflow_runner import WORKFLOW_RUNNER
from workflows.campaign import CampaignWorkflow
from workflows.event_deliverer import EventDelivererWorkflow, deliverer_id
from workflows.reply_watcher import ReplyWatcherWorkflow, watcher_id

logger = logging.getLogger(__name__)


def build_worker(
    client: Client,
    *,
    task_queue: str,
    platform: PlatformClient,
    sessions: SessionFactory,
    max_concurrent_activities: int = 200,
    metrics: WorkerMetrics | None = None,
    events_secret: str | None = None,
) -> Worker:
    metrics = metrics or WorkerMetrics()
    sending = SendingActivities(platform, sessions, metrics)
    recording = RecordingActivities(sessions, metrics)
    reply_checks = ReplyCheckActivities(platform, sessions, client)
    event_delivery = EventDeliveryActivities(sessions, secret=events_secret)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CampaignWorkflow, ReplyWatcherWorkflow, EventDelivererWorkflow],
        activities=[
            sending.send_message,
            sending.release_send_slots,
            recording.record_progress,
            reply_checks.find_reply,
            reply_checks.check_reply_batch,
            event_delivery.deliver_events,
        ],
        max_concurrent_activities=max_concurrent_activities,
        workflow_runner=WORKFLOW_RUNNER,
        # On SIGTERM (a deploy), sends under way get time to finish instead of a retry.
        graceful_shutdown_timeout=timedelta(seconds=30),
        # A send learns of a reply or cancel through a heartbeat's answer: at most a second
        # late, so a stop that comes before the POST prevents it.
        max_heartbeat_throttle_interval=timedelta(seconds=1),
        default_heartbeat_throttle_interval=timedelta(seconds=1),
    )


async def ensure_reply_watcher(
    client: Client, *, task_queue: str, interval_seconds: float, batch_size: int
) -> None:
    """Start the task queue's reply watcher, or hand the running one these settings."""
    watch = ReplyWatchInput(interval_seconds=interval_seconds, batch_size=batch_size)
    await _start_or_configure(
        client,
        ReplyWatcherWorkflow.run,
        watch,
        workflow_id=watcher_id(task_queue),
        task_queue=task_queue,
        summary="Finds replies whose webhook never arrived, for every active campaign",
    )


async def ensure_event_deliverer(client: Client, *, task_queue: str, feed: EventFeedInput) -> None:
    """Start the task queue's event deliverer, or hand the running one this configuration
    (an empty URL pauses it; events keep being recorded and go out once a URL is set)."""
    await _start_or_configure(
        client,
        EventDelivererWorkflow.run,
        feed,
        workflow_id=deliverer_id(task_queue),
        task_queue=task_queue,
        summary="Delivers campaign events to the platform's webhook URL",
    )


async def _start_or_configure(
    client: Client, run: Any, arg: Any, *, workflow_id: str, task_queue: str, summary: str
) -> None:
    """A task queue's singleton workflow: started once by whichever worker comes first (signal
    with start), and every later worker hands it its current configuration."""
    await client.start_workflow(
        run,
        arg,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal="configure",
        start_signal_args=[arg],
        static_summary=summary,
    )


def build_platform_client(settings: Settings) -> PlatformClient:
    return PlatformClient(
        settings.platform_base_url,
        settings.platform_service_token,
        timeout_seconds=settings.platform_timeout_seconds,
        max_connections=settings.platform_max_connections,
    )


def serve_metrics(
    settings: Settings, sessions: SessionFactory
) -> tuple[WorkerMetrics, list[Callable[[], None]]]:
    """The worker's metrics, and the Temporal SDK's, on the ports the settings give (each off
    without one); returns our metrics and the functions that stop serving them."""
    if settings.temporal_metrics_port is not None:
        # Before anything connects: every client of this process uses the default runtime.
        Runtime.set_default(
            temporal_runtime(settings.worker_metrics_host, settings.temporal_metrics_port),
            error_if_already_set=True,
        )
    metrics = WorkerMetrics()
    if settings.worker_metrics_port is None:
        return metrics, []
    metrics.watch_waiting(sessions, asyncio.get_running_loop())
    stop = serve_worker_metrics(metrics, settings.worker_metrics_host, settings.worker_metrics_port)
    return metrics, [stop]


WORKFLOW_PACKAGE = Path(__file__).parent / "workflows"


def cache_workflow_bytecode(package: Path = WORKFLOW_PACKAGE) -> None:
    """Write the workflow modules' bytecode next to them, if it is not there yet.

    The workflow sandbox imports the workflow modules afresh for every workflow it loads (a
    new campaign, or one replayed after leaving the cache); without bytecode on disk each of
    those imports compiles the source again, the largest single item of a starting campaign's
    CPU (profiled). Our image and many shells set PYTHONDONTWRITEBYTECODE, so Python never
    writes it by itself; the image compiles it at build time, this covers `python worker.py`
    anywhere else. A read-only tree only makes the worker slower, not wrong."""
    if not compileall.compile_dir(package, maxlevels=0, quiet=2):
        logger.warning("Could not write bytecode for %s; workflow loads compile it", package)


async def run_worker(settings: Settings) -> None:
    # The schema is migrated before workers start (`make migrate`, the launcher, the compose
    # file's migration job), never here: replicas starting together would race.
    cache_workflow_bytecode()
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    metrics, stop_metrics = serve_metrics(settings, sessions)
    client = await connect_temporal(settings)
    platform = build_platform_client(settings)
    worker = build_worker(
        client,
        task_queue=settings.temporal_task_queue,
        platform=platform,
        sessions=sessions,
        metrics=metrics,
        events_secret=settings.events_webhook_secret,
    )
    await ensure_event_deliverer(
        client, task_queue=settings.temporal_task_queue, feed=settings.event_feed
    )
    await ensure_reply_watcher(
        client,
        task_queue=settings.temporal_task_queue,
        interval_seconds=settings.reply_check_interval_seconds_scaled,
        batch_size=settings.reply_check_batch_size,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info("Worker polling task queue %s", settings.temporal_task_queue)
    freeze_startup_objects()
    try:
        async with worker:
            await stop.wait()
    finally:
        await platform.aclose()
        await engine.dispose()
        for stop_serving in stop_metrics:
            stop_serving()
        logger.info("Worker stopped")


if __name__ == "__main__":
    configure_logging()
    asyncio.run(run_worker(get_settings()))
