"""Pause, resume and cancel as Temporal Updates: a paused campaign sends nothing; on resume a
message that fell due meanwhile goes out first and the later delays count from then; a pause
with an end resumes by itself; the 30-day limit still applies; a reply still stops it.

Each test's own time-skipping server and read model, the simulator over HTTP; the brief's
example: two messages at once, 2 days, a follow-up, 5 days, a last follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from campaigns.contracts import CampaignProgress, PauseRequest, ReplyReceived, StepProgress
from campaigns.status import CampaignStatus, EndReason, PauseReason, StepStatus
from tests.support.campaigns import (
    ANDREAS,
    MILAN,
    campaign_input,
    eventually,
    sent_messages,
    sim_post,
    start_campaign,
)
from workflows.campaign import CampaignWorkflow

DAY = timedelta(days=1)
# A send goes out within this of when it falls due (an activity, a recording).
PROMPTLY = timedelta(minutes=1)


def step(progress: CampaignProgress, node_id: int) -> StepProgress:
    return next(s for s in progress.steps if s.node_id == node_id)


async def _in_first_delay(handle: WorkflowHandle) -> CampaignProgress | None:
    progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
    return progress if step(progress, 3).status is StepStatus.IN_PROGRESS else None


def sent_at(progress: CampaignProgress, node_id: int) -> datetime:
    finished = step(progress, node_id).finished_at
    assert step(progress, node_id).status is StepStatus.SENT and finished is not None
    return finished


async def test_a_paused_campaign_sends_nothing_and_on_resume_the_due_message_goes_first(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    started = await eventually(lambda: _in_first_delay(handle))

    paused = await handle.execute_update(CampaignWorkflow.pause, PauseRequest())
    assert paused.status is CampaignStatus.PAUSED
    assert paused.pause_reason is PauseReason.USER and paused.paused_until is None
    await temporal_env.sleep(3 * DAY)  # the 2-day delay ends while paused
    still = await handle.query(CampaignWorkflow.progress)
    assert still.status is CampaignStatus.PAUSED
    assert step(still, 3).status is StepStatus.DONE  # the delay counted on
    assert step(still, 4).status is not StepStatus.SENT
    assert len(await sent_messages(simulator, MILAN)) == 2

    resumed = await handle.execute_update(CampaignWorkflow.resume)
    resumed_at = await temporal_env.get_current_time()
    assert resumed.status is CampaignStatus.RUNNING and resumed.paused_at is None
    progress = await handle.result()

    # The follow-up that fell due while paused went out on resume, and the 5 days after it
    # counted from then, not from when it fell due.
    assert resumed_at <= sent_at(progress, 4) < resumed_at + PROMPTLY
    assert sent_at(progress, 6) >= sent_at(progress, 4) + 5 * DAY
    assert progress.ends_at == started.ends_at  # the 30 days did not move
    assert progress.end_reason is EndReason.NO_REPLY
    assert len(await sent_messages(simulator, MILAN)) == 4


async def test_a_pause_with_an_end_resumes_by_itself_then(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    started = await eventually(lambda: _in_first_delay(handle))
    until = started.started_at + 4 * DAY

    paused = await handle.execute_update(CampaignWorkflow.pause, PauseRequest(until=until))
    assert paused.paused_until == until
    progress = await handle.result()

    assert until <= sent_at(progress, 4) < until + PROMPTLY
    assert sent_at(progress, 6) >= until + 5 * DAY
    assert progress.status is CampaignStatus.COMPLETED
    assert len(await sent_messages(simulator, MILAN)) == 4


async def test_a_pause_past_the_30_days_ends_the_campaign_at_its_limit(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    started = await eventually(lambda: _in_first_delay(handle))

    await handle.execute_update(
        CampaignWorkflow.pause, PauseRequest(until=started.started_at + 40 * DAY)
    )
    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert progress.ended_at == started.ends_at
    assert progress.paused_at is None and progress.paused_until is None
    assert [step(progress, n).status for n in (4, 6)] == [StepStatus.NOT_SENT] * 2
    assert len(await sent_messages(simulator, MILAN)) == 2


async def test_a_reply_stops_a_paused_campaign_at_once(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _in_first_delay(handle))
    await handle.execute_update(CampaignWorkflow.pause, PauseRequest())

    await handle.signal(CampaignWorkflow.reply, ReplyReceived())
    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert len(await sent_messages(simulator, MILAN)) == 2


async def test_cancel_answers_with_the_ended_campaign(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _in_first_delay(handle))

    cancelled = await handle.execute_update(CampaignWorkflow.cancel)

    assert cancelled.status is CampaignStatus.CANCELLED and cancelled.ended_at is not None
    assert cancelled.end_reason is EndReason.CANCELLED
    assert [step(cancelled, n).status for n in (4, 6)] == [StepStatus.NOT_SENT] * 2
    assert (await handle.result()).status is CampaignStatus.CANCELLED
    assert len(await sent_messages(simulator, MILAN)) == 2


async def test_a_pause_while_waiting_for_a_channel_shows_the_wait_again_on_resume(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    await sim_post(
        simulator,
        f"/_sim/channels/{ANDREAS['linkedin_channel']}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        "PUT",
    )
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)

    async def waiting() -> bool:
        progress = await handle.query(CampaignWorkflow.progress)
        return progress.status is CampaignStatus.WAITING_FOR_CHANNEL

    await eventually(waiting)
    paused = await handle.execute_update(CampaignWorkflow.pause, PauseRequest())
    resumed = await handle.execute_update(CampaignWorkflow.resume)

    assert paused.status is CampaignStatus.PAUSED
    assert resumed.status is CampaignStatus.WAITING_FOR_CHANNEL
    await handle.execute_update(CampaignWorkflow.cancel)
