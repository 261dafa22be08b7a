"""The campaign workflow sends through the account's send ledger: inside the send window, under
the account's limits and paced, waiting durably and visibly for a slot that is not now.

Each test's own time-skipping server and SQLite read model (which holds the ledger), and the
simulator over HTTP. The workflow's clock is the server's, so times are compared with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from campaigns.codes import StepDetail
from campaigns.contracts import CampaignProgress, ReplyReceived, StepProgress
from campaigns.send_window import WEEKDAYS, SendSchedule, next_open
from campaigns.sending_limits import Pacing, SendingLimits, SendingSettings
from campaigns.status import CampaignStatus, EndReason, StepStatus, WaitCause
from db.engine import SessionFactory
from db.ledger_models import ReservationState, SendReservation
from db.sending_settings import save_settings
from tests.support.campaigns import (
    MILAN,
    campaign_input,
    eventually,
    sent_messages,
    start_campaign,
)
from workflows.campaign import CampaignWorkflow

BRUSSELS = "Europe/Brussels"
# Candidates of the seeded role with an email address and a LinkedIn profile.
CANDIDATES = (1001, 1004, 1005)


def one_email(send_window: dict[str, Any] | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "nodes": [
            {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi",
             "message": "Hello"},
            {"id": 2, "type": "delay-step", "delaySeconds": 3600},
            {"id": 3, "type": "message", "channel": "EMAIL", "subject_line": "Re: Hi",
             "message": "Following up"},
        ]
    }  # fmt: skip
    if send_window is not None:
        raw["send_window"] = send_window
    return raw


def step(progress: CampaignProgress, node_id: int) -> StepProgress:
    return next(s for s in progress.steps if s.node_id == node_id)


async def waiting_for_slot(handle: WorkflowHandle) -> CampaignProgress | None:
    progress = await handle.query(CampaignWorkflow.progress)
    return progress if step(progress, 1).status is StepStatus.WAITING_FOR_SLOT else None


async def test_a_message_due_outside_the_send_window_waits_for_it_and_says_so(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    # The definition's window is closed today and tomorrow in Brussels (holidays).
    now = await temporal_env.get_current_time()
    today = now.astimezone(SendSchedule(time_zone=BRUSSELS).zone).date()
    window = {
        "time_zone": BRUSSELS,
        "weekdays": list(WEEKDAYS),
        "start": "09:00",
        "end": "17:00",
        "skip_dates": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
    }
    campaign = campaign_input(one_email(window))
    assert campaign.definition.send_window is not None
    opens = next_open(campaign.definition.send_window, now)
    assert opens is not None and opens > now + timedelta(days=1)
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)

    waiting = await eventually(lambda: waiting_for_slot(handle))

    assert waiting.status is CampaignStatus.RUNNING
    assert waiting.waiting_cause is WaitCause.WINDOW_CLOSED
    assert waiting.waiting_reason == WaitCause.WINDOW_CLOSED
    assert waiting.waiting_time_zone == BRUSSELS
    assert step(waiting, 1).detail_code is StepDetail.WAITING_FOR_SLOT
    assert step(waiting, 1).due_at == opens
    assert await sent_messages(simulator, MILAN) == []

    progress = await handle.result()

    first, follow_up = step(progress, 1), step(progress, 3)
    assert first.status is StepStatus.SENT and follow_up.status is StepStatus.SENT
    assert first.finished_at is not None and opens <= first.finished_at < opens + timedelta(
        minutes=1
    )
    assert first.attempts == 1  # the wait for the slot is not a send attempt
    assert follow_up.finished_at is not None
    assert follow_up.finished_at >= first.finished_at + timedelta(hours=1)
    assert progress.waiting_reason is None and progress.end_reason is EndReason.NO_REPLY
    assert len(await sent_messages(simulator, MILAN)) == 2


async def test_a_window_that_never_opens_before_day_30_sends_nothing_and_says_why(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    now = await temporal_env.get_current_time()
    today = now.astimezone(SendSchedule(time_zone=BRUSSELS).zone).date()
    window = {
        "time_zone": BRUSSELS,
        "skip_dates": [(today + timedelta(days=n)).isoformat() for n in range(-1, 33)],
    }
    handle = await start_campaign(
        temporal_env.client, campaign_input(one_email(window)), worker.task_queue
    )

    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    for node_id in (1, 3):
        assert step(progress, node_id).status is StepStatus.NOT_SENT
    assert step(progress, 1).detail_code is StepDetail.NO_SLOT
    assert step(progress, 1).detail_cause is WaitCause.WINDOW_CLOSED
    assert await sent_messages(simulator, MILAN) == []


async def test_campaigns_started_together_are_paced_and_a_full_limit_waits_for_its_slot(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    # Two emails a day, 60 s + up to 60 s between two: the first goes at once, the second
    # after the gap, the third when the first has left the rolling day.
    settings = SendingSettings(limits=SendingLimits(emails_per_day=2), pacing=Pacing())
    async with sqlite_sessions() as session, session.begin():
        await save_settings(session, 1, settings, now=datetime.now().astimezone())
    started = await temporal_env.get_current_time()
    handles = [
        await start_campaign(
            temporal_env.client,
            campaign_input({"nodes": one_email()["nodes"][:1]}, candidate_id=candidate),
            worker.task_queue,
        )
        for candidate in CANDIDATES
    ]

    async def two_wait() -> list[CampaignProgress] | None:
        waiting = [await waiting_for_slot(handle) for handle in handles]
        found = [progress for progress in waiting if progress is not None]
        return found if len(found) == 2 else None

    waiting = await eventually(two_wait)
    causes = sorted(progress.waiting_cause or "" for progress in waiting)
    assert causes == [WaitCause.DAILY_LIMIT, WaitCause.PACING]
    limited = next(p for p in waiting if p.waiting_cause is WaitCause.DAILY_LIMIT)
    assert limited.waiting_reason == WaitCause.DAILY_LIMIT
    assert limited.waiting_time_zone is not None

    results = [await handle.result() for handle in handles]

    sent_at = sorted(step(progress, 1).finished_at or started for progress in results)
    assert all(step(p, 1).status is StepStatus.SENT for p in results)
    assert sent_at[0] - started < timedelta(seconds=30)  # the first goes at once
    assert timedelta(seconds=60) <= sent_at[1] - sent_at[0] <= timedelta(seconds=150)
    assert sent_at[2] - sent_at[0] >= timedelta(days=1)  # never 3 in a rolling day
    outbound = [m for c in CANDIDATES for m in await sent_messages(simulator, c)]
    assert len(outbound) == 3


async def test_a_reply_while_waiting_for_a_slot_sends_nothing_and_frees_the_slot(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    now = await temporal_env.get_current_time()
    today = now.astimezone(SendSchedule(time_zone=BRUSSELS).zone).date()
    window = {"time_zone": BRUSSELS, "skip_dates": [today.isoformat()]}
    campaign = campaign_input(one_email(window))
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)
    await eventually(lambda: waiting_for_slot(handle))

    async def booked() -> list[str]:
        async with sqlite_sessions() as session:
            rows = await session.execute(
                select(SendReservation.state).where(
                    SendReservation.campaign_id == campaign.campaign_id
                )
            )
            return list(rows.scalars())

    assert await booked() == [ReservationState.RESERVED.value]
    await handle.signal(CampaignWorkflow.reply, ReplyReceived())

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert step(progress, 1).status is StepStatus.NOT_SENT
    assert await booked() == []
    assert await sent_messages(simulator, MILAN) == []
