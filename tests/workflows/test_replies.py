"""Replies are never missed and never misattributed, and a stop prevents what it still can.

Each test's own time-skipping server and SQLite read model (which the reply watcher sweeps),
and the simulator over HTTP with its webhooks off: every reply here is one whose webhook was
lost. Replies are placed at the
test server's own clock with the simulator's `sentAt`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from campaigns.codes import StepDetail
from campaigns.contracts import CampaignProgress, ReplyReceived, StepProgress
from campaigns.status import CampaignStatus, EndReason, ReplySource, StepStatus
from db.engine import SessionFactory
from db.models import Campaign
from tests.support.campaigns import (
    ANDREAS,
    MILAN,
    campaign_input,
    event_kinds,
    eventually,
    send_phase_is,
    sent_messages,
    sim_post,
    start_campaign,
)
from tests.support.reply_watcher import terminate_watcher
from worker import ensure_reply_watcher
from workflows.campaign import CampaignWorkflow
from workflows.reply_watcher import watcher_id

INTERVAL = timedelta(hours=6)  # the default of REPLY_CHECK_INTERVAL_SECONDS
# The watcher's sweep itself takes a moment after its timer fires.
SWEEP_SLACK = timedelta(minutes=5)
EMAIL = ANDREAS["email_channel"]
LINKEDIN = ANDREAS["linkedin_channel"]
ONE_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Hello"}
    ]
}


@pytest.fixture
async def watcher(temporal_env: WorkflowEnvironment, worker: Worker) -> AsyncIterator[str]:
    """The task queue's reply watcher at the default interval; terminated afterwards."""
    await ensure_reply_watcher(
        temporal_env.client,
        task_queue=worker.task_queue,
        interval_seconds=INTERVAL.total_seconds(),
        batch_size=50,
    )
    yield watcher_id(worker.task_queue)
    await terminate_watcher(temporal_env.client, worker.task_queue)


async def candidate_writes(
    simulator: str, channel_id: int, at: datetime, candidate_id: int = MILAN
) -> int:
    """The candidate replies at `at`; the platform's webhook is lost. Returns its message id."""
    result = await sim_post(
        simulator,
        f"/_sim/candidates/{candidate_id}/reply",
        {"channelId": channel_id, "deliverWebhook": False, "sentAt": at.isoformat()},
    )
    return result["message"]["id"]


def step(progress: CampaignProgress, node_id: int) -> StepProgress:
    return next(s for s in progress.steps if s.node_id == node_id)


async def _progress(handle: WorkflowHandle) -> CampaignProgress:
    return await handle.query(CampaignWorkflow.progress)


async def _step_is(
    handle: WorkflowHandle, node_id: int, status: StepStatus
) -> CampaignProgress | None:
    progress = await _progress(handle)
    return progress if step(progress, node_id).status is status else None


# --- never missed --------------------------------------------------------------------------


async def test_reply_during_a_delay_without_webhook_ends_replied_within_the_interval(
    temporal_env: WorkflowEnvironment, worker: Worker, watcher: str, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _step_is(handle, 3, StepStatus.IN_PROGRESS))
    wrote_at = await temporal_env.get_current_time()
    message_id = await candidate_writes(simulator, EMAIL, wrote_at)

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.reply is not None
    assert progress.reply.source is ReplySource.REPLY_CHECK
    assert progress.reply.message_id == message_id
    assert progress.reply.received_at is not None
    assert abs(progress.reply.received_at - wrote_at) < timedelta(seconds=1)
    assert progress.ended_at - wrote_at <= INTERVAL + SWEEP_SLACK
    assert len(await sent_messages(simulator, MILAN)) == 2
    assert step(progress, 4).status is StepStatus.NOT_SENT


async def test_reply_during_a_channel_wait_without_webhook_ends_replied_within_the_interval(
    temporal_env: WorkflowEnvironment, worker: Worker, watcher: str, simulator: str
) -> None:
    await sim_post(
        simulator,
        f"/_sim/channels/{LINKEDIN}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _step_is(handle, 1, StepStatus.WAITING_FOR_CHANNEL))
    wrote_at = await temporal_env.get_current_time()
    message_id = await candidate_writes(simulator, EMAIL, wrote_at)

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.reply is not None and progress.reply.message_id == message_id
    # Found by the watcher or by a channel re-check's pre-send read, never by a webhook.
    assert progress.reply.source in (ReplySource.REPLY_CHECK, ReplySource.PRE_SEND_CHECK)
    assert progress.ended_at - wrote_at <= INTERVAL + SWEEP_SLACK
    assert await sent_messages(simulator, MILAN) == []


async def test_reply_during_monitoring_without_webhook_ends_replied_within_the_interval(
    temporal_env: WorkflowEnvironment, worker: Worker, watcher: str, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(ONE_EMAIL), worker.task_queue)
    await eventually(lambda: _step_is(handle, 1, StepStatus.SENT))
    await temporal_env.sleep(timedelta(days=8))
    wrote_at = await temporal_env.get_current_time()
    await candidate_writes(simulator, EMAIL, wrote_at)

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.end_reason is EndReason.REPLIED
    assert progress.reply is not None and progress.reply.source is ReplySource.REPLY_CHECK
    assert timedelta(0) <= progress.ended_at - wrote_at <= INTERVAL + SWEEP_SLACK
    assert progress.ended_at - progress.started_at < timedelta(days=9)


async def test_last_check_before_the_end_finds_a_reply_no_sweep_saw(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    # No watcher at all: only the final check stands between this reply and NO_REPLY.
    handle = await start_campaign(temporal_env.client, campaign_input(ONE_EMAIL), worker.task_queue)
    await eventually(lambda: _step_is(handle, 1, StepStatus.SENT))
    await temporal_env.sleep(timedelta(days=12))
    await candidate_writes(simulator, LINKEDIN, await temporal_env.get_current_time())

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.reply is not None and progress.reply.source is ReplySource.FINAL_CHECK
    assert progress.ended_at - progress.started_at >= timedelta(days=30)


async def test_last_check_ignores_a_message_written_after_the_30_days(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    campaign = campaign_input(ONE_EMAIL)
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)
    started = await eventually(lambda: _step_is(handle, 1, StepStatus.SENT))
    await candidate_writes(simulator, EMAIL, started.ends_at + timedelta(hours=1))

    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert progress.end_reason is EndReason.NO_REPLY
    assert progress.reply is None


# --- never misattributed -------------------------------------------------------------------


async def test_a_message_from_before_the_campaign_started_never_stops_it(
    temporal_env: WorkflowEnvironment, worker: Worker, watcher: str, simulator: str
) -> None:
    before = await temporal_env.get_current_time() - timedelta(days=1)
    old_message = await candidate_writes(simulator, EMAIL, before)
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _step_is(handle, 2, StepStatus.SENT))
    # The same old message signalled directly (a replayed or late webhook) is ignored too.
    await handle.signal(
        CampaignWorkflow.reply,
        ReplyReceived(channel_id=EMAIL, message_id=old_message, received_at=before),
    )

    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert progress.end_reason is EndReason.NO_REPLY
    assert progress.reply is None
    assert len(await sent_messages(simulator, MILAN)) == 4


# --- sends a stop can still prevent ----------------------------------------------------------


@pytest.mark.parametrize("stop", ["reply", "cancel"])
async def test_a_stop_before_the_post_prevents_the_send(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str, stop: str
) -> None:
    # Reading the channels and chats is slow, so the stop arrives before the POST.
    await sim_post(simulator, "/_sim/faults", {"readLatencyMs": 3000}, method="PUT")
    handle = await start_campaign(temporal_env.client, campaign_input(ONE_EMAIL), worker.task_queue)
    await eventually(lambda: _step_is(handle, 1, StepStatus.IN_PROGRESS))
    if stop == "reply":
        await handle.signal(CampaignWorkflow.reply, ReplyReceived(source=ReplySource.SIGNAL))
    else:
        await handle.cancel()

    progress = await handle.result()

    expected = CampaignStatus.REPLIED if stop == "reply" else CampaignStatus.CANCELLED
    assert progress.status is expected
    assert step(progress, 1).status is StepStatus.NOT_SENT
    assert step(progress, 1).detail_code is StepDetail.STOPPED_BEFORE_POST
    await sim_post(simulator, "/_sim/faults", {}, method="PUT")
    assert await sent_messages(simulator, MILAN) == []


async def test_a_cancel_during_the_post_reports_the_message_as_sent(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    await sim_post(simulator, "/_sim/faults", {"latencyMs": 3000}, method="PUT")
    handle = await start_campaign(temporal_env.client, campaign_input(ONE_EMAIL), worker.task_queue)
    # The POST is under way once the reads are done; the platform answers after 3 s.
    await eventually(lambda: _step_is(handle, 1, StepStatus.IN_PROGRESS))
    await eventually(lambda: send_phase_is(temporal_env, handle, "posting"))
    await handle.cancel()

    progress = await handle.result()

    assert progress.status is CampaignStatus.CANCELLED
    sent = await sent_messages(simulator, MILAN)
    assert len(sent) == 1
    assert step(progress, 1).status is StepStatus.SENT
    assert step(progress, 1).platform_message_id == sent[0]["id"]
    assert step(progress, 1).detail_code is StepDetail.SENT_AS_IT_ENDED


# --- waiting stays current ------------------------------------------------------------------


async def test_every_channel_recheck_moves_the_next_check_and_counts_the_attempt(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    await sim_post(
        simulator,
        f"/_sim/channels/{LINKEDIN}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    campaign = campaign_input(
        {"nodes": [{"id": 1, "type": "message", "channel": "LINKEDIN_MESSAGE", "message": "Hi"}]}
    )
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)
    first = await eventually(lambda: _step_is(handle, 1, StepStatus.WAITING_FOR_CHANNEL))
    first_due = step(first, 1).due_at

    await temporal_env.sleep(timedelta(minutes=16))  # re-checks at 5 and 15 minutes

    later = await eventually(lambda: _attempts_at_least(handle, 3))
    assert step(later, 1).due_at > first_due
    assert later.next_action_at == step(later, 1).due_at

    async def recorded() -> Campaign | None:
        async with sqlite_sessions() as session:
            row = await session.get(Campaign, campaign.campaign_id)
            return row if row and row.next_action_at == step(later, 1).due_at else None

    row = await eventually(recorded)
    assert row.waiting_cause == "LOGGED_OUT"
    kinds = await event_kinds(sqlite_sessions, campaign.campaign_id)
    assert kinds.count("CHANNEL_WAITING") == 1
    assert kinds.count("CHANNEL_RECHECKED") >= 2
    await handle.cancel()
    await handle.result()


async def _attempts_at_least(handle: WorkflowHandle, attempts: int) -> CampaignProgress | None:
    progress = await _progress(handle)
    return progress if step(progress, 1).attempts >= attempts else None
