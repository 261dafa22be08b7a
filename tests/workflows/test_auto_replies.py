"""An out-of-office reply is recognised and handled as the user chose: it stops the campaign
like any reply (the default), or pauses it until the return date it names; a reply a person
writes still stops it at once.

Each test's own time-skipping server and read model (the user's choice lives there), the
simulator over HTTP with its webhooks off: the pre-send check and the reply watcher find the
messages. The brief's example: two messages, 2 days, a follow-up, 5 days, a last one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from campaigns.auto_reply import AutoReplyAction, AutoReplyKind
from campaigns.contracts import CampaignProgress, StepProgress
from campaigns.sending_limits import SendingSettings
from campaigns.status import CampaignStatus, EndReason, PauseReason, StepStatus
from db.engine import SessionFactory
from db.sending_settings import save_settings
from tests.support.campaigns import (
    ANDREAS,
    MILAN,
    campaign_input,
    event_kinds,
    eventually,
    sent_messages,
    sim_post,
    start_campaign,
)
from tests.support.reply_watcher import terminate_watcher
from worker import ensure_reply_watcher
from workflows.campaign import CampaignWorkflow

EMAIL = ANDREAS["email_channel"]
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def step(progress: CampaignProgress, node_id: int) -> StepProgress:
    return next(s for s in progress.steps if s.node_id == node_id)


async def choose(sessions: SessionFactory, action: AutoReplyAction) -> None:
    async with sessions() as session, session.begin():
        settings = SendingSettings(auto_reply_action=action)
        await save_settings(session, ANDREAS["id"], settings, now=datetime.now(UTC))


async def candidate_writes(
    env: WorkflowEnvironment, simulator: str, subject: str, body: str
) -> None:
    now = await env.get_current_time()
    await sim_post(
        simulator,
        f"/_sim/candidates/{MILAN}/reply",
        {
            "channelId": EMAIL,
            "deliverWebhook": False,
            "sentAt": now.isoformat(),
            "subject": subject,
            "body": body,
        },
    )


async def out_of_office_until(env: WorkflowEnvironment, simulator: str, back: date) -> None:
    await candidate_writes(
        env,
        simulator,
        "Automatic reply: Open to new opportunities?",
        f"Thank you for your email. I am out of the office until {back.day} "
        f"{MONTHS[back.month - 1]} with limited access to email. For urgent matters please "
        "contact my colleague.",
    )


async def _both_sent(handle: WorkflowHandle) -> bool:
    progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
    return step(progress, 3).status is StepStatus.IN_PROGRESS


@pytest.fixture
async def watcher(temporal_env: WorkflowEnvironment, worker: Worker) -> AsyncIterator[None]:
    await ensure_reply_watcher(
        temporal_env.client, task_queue=worker.task_queue, interval_seconds=6 * 3600,
        batch_size=50,
    )  # fmt: skip
    yield
    await terminate_watcher(temporal_env.client, worker.task_queue)


async def test_an_out_of_office_reply_pauses_the_campaign_until_the_return_date(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    await choose(sqlite_sessions, AutoReplyAction.PAUSE)
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _both_sent(handle))
    started = await temporal_env.get_current_time()
    back = (started + timedelta(days=6)).date()
    await out_of_office_until(temporal_env, simulator, back)

    progress = await handle.result()

    # The follow-up due on day 2 found the out-of-office reply, waited for the return day and
    # went out then; the last one 5 days after it; the notice never counted as a reply.
    returns = datetime.combine(back, time(0), UTC)
    follow_up = step(progress, 4).finished_at
    assert step(progress, 4).status is StepStatus.SENT and follow_up is not None
    assert returns <= follow_up < returns + timedelta(minutes=1)
    last = step(progress, 6).finished_at
    assert last is not None and last >= follow_up + timedelta(days=5)
    assert progress.status is CampaignStatus.COMPLETED
    assert progress.end_reason is EndReason.NO_REPLY
    assert len(await sent_messages(simulator, MILAN)) == 4
    kinds = await event_kinds(sqlite_sessions, progress.campaign_id)
    assert kinds.count("AUTO_REPLY_RECEIVED") == 1 and kinds.count("PAUSED") == 1
    assert "REPLY_RECEIVED" not in kinds


async def test_by_default_an_out_of_office_reply_ends_the_campaign_and_says_what_it_was(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _both_sent(handle))
    now = await temporal_env.get_current_time()
    await out_of_office_until(temporal_env, simulator, (now + timedelta(days=6)).date())

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.reply is not None
    assert progress.reply.auto_reply is AutoReplyKind.OUT_OF_OFFICE
    assert len(await sent_messages(simulator, MILAN)) == 2


async def test_a_real_reply_while_paused_for_an_out_of_office_stops_the_campaign(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    watcher: None,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    await choose(sqlite_sessions, AutoReplyAction.PAUSE)
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _both_sent(handle))
    now = await temporal_env.get_current_time()
    await out_of_office_until(temporal_env, simulator, (now + timedelta(days=20)).date())

    async def paused() -> CampaignProgress | None:
        progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
        return progress if progress.status is CampaignStatus.PAUSED else None

    # The watcher's next sweep finds the notice: the campaign pauses.
    await temporal_env.sleep(timedelta(hours=7))
    waiting = await eventually(paused)
    assert waiting.pause_reason is PauseReason.AUTO_REPLY
    await candidate_writes(temporal_env, simulator, "Re: Open?", "Back early - yes, let's talk!")

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.reply is not None and progress.reply.auto_reply is None
    assert len(await sent_messages(simulator, MILAN)) == 2
