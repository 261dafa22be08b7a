"""Record one workflow history per way a campaign goes, for the replay tests.

Histories live in `tests/workflows/histories/<version>/`: `v1/` holds campaigns recorded before
the `replies-v2` patch (kept, so campaigns started back then keep replaying), `v2/` those
started before the `sending-limits-v3` patch, `v3/` those with it (plain payloads), `v4/` the
paths with encrypted payloads, including the reply watcher's and the event
deliverer's own histories, sends that wait for their slot, pauses and cancels by Update; `v5/`
the same paths after the `coalesced-records-v5` patch (a send's outcome recorded with the
delay or reply wait that follows it); `v6/` the same paths after the `end-recorded-first-v6`
patch (an ended campaign records its end before it releases its booked slots); `v7/` after
the `first-record-with-first-step-v7` patch (no record before the first step); `v8/` after
the `all-earlier-patches-v8` patch (one patch marker in a new campaign's history instead of
one per earlier patch). Run it
(`make histories`) after a deliberate workflow change guarded by `workflow.patched`; it writes
a new version folder named by `--version` and never touches an older one. It starts its own
time-skipping server, simulator and SQLite read model.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from campaigns.auto_reply import AutoReplyKind
from campaigns.contracts import CampaignProgress, ChannelRestored, PauseRequest, ReplyReceived
from campaigns.definition import ChannelType
from campaigns.outbound_events import EventFeedInput
from campaigns.status import ReplySource
from config import DEV_PAYLOAD_KEYS, Settings
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_engine
from process_exit import exit_skipping_teardown
from recruiting_platform import PlatformClient
from temporal_client import data_converter, register_search_attributes
from tests.conftest import SERVICE_TOKEN, WEBHOOK_SECRET, venv_binary
from tests.support.campaigns import (
    ANDREAS,
    BRIEF_EXAMPLE,
    campaign_input,
    eventually,
    send_phase_is,
    sent_messages,
    sim_post,
    start_campaign,
)
from tests.support.simulator_process import start_simulator
from worker import build_worker, ensure_event_deliverer, ensure_reply_watcher
from workflows.campaign import CampaignWorkflow
from workflows.event_deliverer import deliverer_id
from workflows.reply_watcher import watcher_id

HISTORIES = Path(__file__).resolve().parents[1] / "tests" / "workflows" / "histories"
CURRENT_VERSION = "v8"
logger = logging.getLogger(__name__)

EMAIL = ANDREAS["email_channel"]
LINKEDIN = ANDREAS["linkedin_channel"]
ONE_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Hello"}
    ]
}
BRUSSELS = ZoneInfo("Europe/Brussels")


def one_email_closed_for(days: int) -> Callable[[datetime], dict[str, Any]]:
    """One email whose send window (Brussels) is closed from yesterday for `days` days."""

    def definition(now: datetime) -> dict[str, Any]:
        today = now.astimezone(BRUSSELS).date()
        skipped = [(today + timedelta(days=n)).isoformat() for n in range(-1, days)]
        window = {"time_zone": "Europe/Brussels", "skip_dates": skipped}
        return {**ONE_EMAIL, "send_window": window}

    return definition


ONE_LINKEDIN = {
    "nodes": [{"id": 1, "type": "message", "channel": "LINKEDIN_MESSAGE", "message": "Hi"}]
}


@dataclass
class Recording:
    """What a scenario has at hand."""

    env: WorkflowEnvironment
    simulator: str
    task_queue: str

    async def sim(self, path: str, json: Any = None, method: str = "POST") -> Any:
        return await sim_post(self.simulator, path, json, method)

    async def channel(self, channel_id: int, status: str) -> None:
        await self.sim(
            f"/_sim/channels/{channel_id}/status",
            {"status": status, "deliverWebhook": False},
            "PUT",
        )

    async def candidate_writes_now(self, channel_id: int) -> None:
        now = await self.env.get_current_time()
        await self.sim(
            "/_sim/candidates/1001/reply",
            {"channelId": channel_id, "deliverWebhook": False, "sentAt": now.isoformat()},
        )


Setup = Callable[[Recording], Awaitable[None]]
Drive = Callable[[Recording, WorkflowHandle], Awaitable[None]]


async def _nothing(rec: Recording, *_: Any) -> None:
    return None


async def _sent(rec: Recording, count: int) -> bool:
    return len(await sent_messages(rec.simulator)) >= count


async def _step_status(handle: WorkflowHandle, node_id: int, status: str) -> bool:
    progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
    return next(s for s in progress.steps if s.node_id == node_id).status.value == status


async def _replied(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _sent(rec, 2))
    now = await rec.env.get_current_time()
    await handle.signal(
        CampaignWorkflow.reply, ReplyReceived(channel_id=EMAIL, message_id=1, received_at=now)
    )


async def _cancelled(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _sent(rec, 2))
    await handle.cancel()


async def _logged_out(rec: Recording) -> None:
    await rec.channel(LINKEDIN, "ERROR_CREDENTIALS")


async def _channel_in_error(rec: Recording) -> None:
    await rec.channel(LINKEDIN, "ERROR")


async def _waited_for_channel(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _step_status(handle, 1, "WAITING_FOR_CHANNEL"))
    await rec.env.sleep(timedelta(minutes=6))  # one recorded re-check
    await rec.channel(LINKEDIN, "OK")
    await handle.signal(
        CampaignWorkflow.channel_restored, ChannelRestored(channel_type=ChannelType.LINKEDIN)
    )


async def _channel_error_recovers(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _step_status(handle, 1, "WAITING_FOR_CHANNEL"))
    await rec.channel(LINKEDIN, "OK")  # no signal: the re-check finds it


async def _reply_without_webhook_during_delay(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _step_status(handle, 3, "IN_PROGRESS"))
    await rec.candidate_writes_now(EMAIL)


async def _reply_only_the_final_check_sees(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _sent(rec, 1))
    await rec.env.sleep(timedelta(days=10))
    await rec.candidate_writes_now(EMAIL)


async def _slow_reads(rec: Recording) -> None:
    await rec.sim("/_sim/faults", {"readLatencyMs": 3000}, "PUT")


async def _slow_post(rec: Recording) -> None:
    await rec.sim("/_sim/faults", {"latencyMs": 3000}, "PUT")


async def _reply_before_the_post(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _step_status(handle, 1, "IN_PROGRESS"))
    await handle.signal(CampaignWorkflow.reply, ReplyReceived(source=ReplySource.SIGNAL))


async def _cancel_during_the_post(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: send_phase_is(rec.env, handle, "posting"))
    await handle.cancel()


async def _reply_while_waiting_for_the_slot(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _step_status(handle, 1, "WAITING_FOR_SLOT"))
    await handle.signal(CampaignWorkflow.reply, ReplyReceived(source=ReplySource.SIGNAL))


async def _in_first_delay(handle: WorkflowHandle) -> bool:
    return await _step_status(handle, 3, "IN_PROGRESS")


async def _paused_then_resumed(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _in_first_delay(handle))
    await handle.execute_update(CampaignWorkflow.pause, PauseRequest())
    await rec.env.sleep(timedelta(days=3))  # the follow-up falls due while paused
    await handle.execute_update(CampaignWorkflow.resume)


async def _paused_until_a_date(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _in_first_delay(handle))
    until = await rec.env.get_current_time() + timedelta(days=4)
    await handle.execute_update(CampaignWorkflow.pause, PauseRequest(until=until))


async def _out_of_office_pauses(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _in_first_delay(handle))
    now = await rec.env.get_current_time()
    await handle.signal(
        CampaignWorkflow.reply,
        ReplyReceived(
            channel_id=EMAIL,
            message_id=99,
            received_at=now,
            auto_reply=AutoReplyKind.OUT_OF_OFFICE,
            returns_on=(now + timedelta(days=6)).date(),
            pause_until=now + timedelta(days=6),
        ),
    )


async def _cancelled_by_update(rec: Recording, handle: WorkflowHandle) -> None:
    await eventually(lambda: _in_first_delay(handle))
    await handle.execute_update(CampaignWorkflow.cancel)


@dataclass(frozen=True)
class Scenario:
    # The definition, or a function of the test server's clock that makes it.
    definition: dict[str, Any] | Callable[[datetime], dict[str, Any]]
    drive: Drive
    setup: Setup = _nothing
    watched: bool = False  # runs with the task queue's reply watcher


SCENARIOS: dict[str, Scenario] = {
    "replied": Scenario(BRIEF_EXAMPLE, _replied),
    "completed": Scenario(BRIEF_EXAMPLE, _nothing),
    "cancelled": Scenario(BRIEF_EXAMPLE, _cancelled),
    "waited_for_channel": Scenario(BRIEF_EXAMPLE, _waited_for_channel, _logged_out),
    "channel_error_recovered": Scenario(ONE_LINKEDIN, _channel_error_recovers, _channel_in_error),
    "channel_never_restored": Scenario(ONE_LINKEDIN, _nothing, _logged_out),
    "replied_found_by_final_check": Scenario(ONE_EMAIL, _reply_only_the_final_check_sees),
    "stopped_before_the_post": Scenario(ONE_EMAIL, _reply_before_the_post, _slow_reads),
    "cancelled_during_the_post": Scenario(ONE_EMAIL, _cancel_during_the_post, _slow_post),
    "waited_for_the_send_window": Scenario(one_email_closed_for(2), _nothing),
    "no_slot_before_day_30": Scenario(one_email_closed_for(33), _nothing),
    "replied_while_waiting_for_the_slot": Scenario(
        one_email_closed_for(2), _reply_while_waiting_for_the_slot
    ),
    "paused_and_resumed": Scenario(BRIEF_EXAMPLE, _paused_then_resumed),
    "paused_until_a_date": Scenario(BRIEF_EXAMPLE, _paused_until_a_date),
    "paused_by_out_of_office": Scenario(BRIEF_EXAMPLE, _out_of_office_pauses),
    "cancelled_by_update": Scenario(BRIEF_EXAMPLE, _cancelled_by_update),
    # Last: the watcher it starts keeps sweeping until the recording ends.
    "replied_found_by_reply_check": Scenario(
        BRIEF_EXAMPLE, _reply_without_webhook_during_delay, watched=True
    ),
}


async def record(
    client: Client, env: WorkflowEnvironment, platform: PlatformClient, folder: Path, simulator: str
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite+aiosqlite:///{scratch}/read-model.db")
        await upgrade_engine(engine)
        sessions = create_session_factory(engine)
        task_queue = f"record-{uuid.uuid4()}"
        rec = Recording(env, simulator, task_queue)
        async with build_worker(
            client, task_queue=task_queue, platform=platform, sessions=sessions
        ):
            for name, scenario in SCENARIOS.items():
                await rec.sim("/_sim/reset")
                await scenario.setup(rec)
                if scenario.watched:
                    await ensure_reply_watcher(
                        client, task_queue=task_queue, interval_seconds=6 * 3600, batch_size=50
                    )
                definition = scenario.definition
                if callable(definition):
                    definition = definition(await env.get_current_time())
                handle = await start_campaign(client, campaign_input(definition), task_queue)
                await scenario.drive(rec, handle)
                await handle.result()
                _write(folder / f"{name}.json", await handle.fetch_history())
                if scenario.watched:
                    # The first run of the chain: a sweep, the sleep, continue-as-new.
                    history = await client.get_workflow_handle(
                        watcher_id(task_queue),
                        run_id=await _first_run_id(client, watcher_id(task_queue)),
                    ).fetch_history()
                    _write(folder / "reply_watcher.json", history)
        await engine.dispose()


async def record_event_deliverer(
    client: Client, platform: PlatformClient, folder: Path, simulator: str
) -> None:
    """The event deliverer's first run: one short delivery activity, continue-as-new."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite+aiosqlite:///{scratch}/read-model.db")
        await upgrade_engine(engine)
        task_queue = f"record-{uuid.uuid4()}"
        feed = EventFeedInput(webhook_url=f"{simulator}/_sim/events/inbox", run_seconds=0.5)
        async with build_worker(
            client,
            task_queue=task_queue,
            platform=platform,
            sessions=create_session_factory(engine),
            events_secret="record-events-secret",
        ):
            await ensure_event_deliverer(client, task_queue=task_queue, feed=feed)
            run_id = await _first_run_id(client, deliverer_id(task_queue))
            handle = client.get_workflow_handle(deliverer_id(task_queue), run_id=run_id)
            while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await asyncio.sleep(0.1)
            _write(folder / "event_deliverer.json", await handle.fetch_history())
        await engine.dispose()


async def _first_run_id(client: Client, workflow_id: str) -> str:
    handle = client.get_workflow_handle(workflow_id)
    run_id = (await handle.describe()).run_id
    while True:  # walk back along the continue-as-new chain
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return run_id
        run_id = started.continued_execution_run_id


def _write(path: Path, history: Any) -> None:
    path.write_text(history.to_json())
    logger.info("%s: %d events", path.relative_to(HISTORIES), len(history.events))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", default=CURRENT_VERSION, help="the folder to write")
    parser.add_argument(
        "--event-deliverer-only", action="store_true", help="record event_deliverer.json only"
    )
    arguments = parser.parse_args()
    version = arguments.version
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = HISTORIES / version
    folder.mkdir(parents=True, exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        # Encrypted with the published development key, which the replay tests keep.
        data_converter=data_converter(
            Settings(_env_file=None, payload_keys=DEV_PAYLOAD_KEYS, payload_keys_file=None)
        ),
    )
    await register_search_attributes(env.client, env.client.namespace)
    try:
        with start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET) as sim:
            async with PlatformClient(sim.url, SERVICE_TOKEN) as platform:
                if not arguments.event_deliverer_only:
                    await record(env.client, env, platform, folder, sim.url)
                await record_event_deliverer(env.client, platform, folder, sim.url)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
    exit_skipping_teardown(0)
