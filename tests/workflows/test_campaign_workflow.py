"""Every rule of the brief, proven on the time-skipping Temporal server with real HTTP to the
platform simulator and a real (SQLite) read model."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from campaigns.codes import EndDetail, StepDetail
from campaigns.contracts import CampaignProgress, ChannelRestored, ReplyReceived, StepProgress
from campaigns.definition import ChannelType, MessageChannel
from campaigns.status import CampaignStatus, EndReason, StepStatus, WaitCause
from db.engine import SessionFactory
from db.models import Campaign, CampaignEventRow, CampaignStep
from recruiting_platform import OnBehalfOf, PlatformClient, PostMessageBody
from tests.support.campaigns import (
    ANDREAS,
    DAY,
    MILAN,
    NO_EMAIL,
    NO_LINKEDIN,
    campaign_input,
    event_kinds,
    eventually,
    send_phase_is,
    sent_messages,
    sim_post,
    start_campaign,
)
from worker import build_worker
from workflows.campaign import ALL_EARLIER_PATCHES_PATCH, CampaignWorkflow

THIRTY_DAYS = timedelta(days=30)

ONE_MESSAGE = {
    "nodes": [{"id": 1, "type": "message", "channel": "LINKEDIN_MESSAGE", "message": "Hello"}]
}
EMAIL_THEN_DELAY_THEN_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "First"},
        {"id": 2, "type": "delay-step", "delaySeconds": 3 * DAY},
        {"id": 3, "type": "message", "channel": "EMAIL", "subject_line": "Re", "message": "Second"},
    ]
}


def step(progress: CampaignProgress, node_id: int) -> StepProgress:
    return next(s for s in progress.steps if s.node_id == node_id)


async def test_brief_example_sends_at_once_then_after_each_delay_and_ends_after_30_days(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    campaign = campaign_input()
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)

    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert progress.end_reason is EndReason.NO_REPLY
    assert progress.ended_at - progress.started_at == THIRTY_DAYS
    sent = await sent_messages(simulator, MILAN)
    assert [(m["channelId"], m["subject"]) for m in sent] == [
        (ANDREAS["linkedin_channel"], None),
        (ANDREAS["email_channel"], "Open to new opportunities?"),
        (ANDREAS["email_channel"], "Re: Open to new opportunities?"),
        (ANDREAS["email_channel"], "Re: Open to new opportunities?"),
    ]
    # Nodes 1 and 2 go out at once; each delay counts from the step before it.
    assert step(progress, 1).finished_at - progress.started_at < timedelta(minutes=1)
    assert step(progress, 2).finished_at - progress.started_at < timedelta(minutes=1)
    assert step(progress, 4).finished_at - step(progress, 2).finished_at >= timedelta(days=2)
    assert step(progress, 4).finished_at - step(progress, 2).finished_at < timedelta(
        days=2, minutes=1
    )
    assert step(progress, 6).finished_at - step(progress, 4).finished_at >= timedelta(days=5)
    assert [s.status for s in progress.steps] == [
        StepStatus.SENT,
        StepStatus.SENT,
        StepStatus.DONE,
        StepStatus.SENT,
        StepStatus.DONE,
        StepStatus.SENT,
    ]
    assert {s.platform_message_id for s in progress.steps if s.type == "message"} == {
        m["id"] for m in sent
    }


async def test_reply_during_delay_sends_nothing_more(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _has_sent(simulator, 2))
    await eventually(lambda: _step_status_is(handle, 3, StepStatus.IN_PROGRESS))

    await handle.signal(CampaignWorkflow.reply, ReplyReceived(channel_id=100, message_id=1))
    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.end_reason is EndReason.REPLIED
    assert progress.ended_at - progress.started_at < timedelta(days=1)
    assert len(await sent_messages(simulator, MILAN)) == 2
    assert step(progress, 4).status is StepStatus.NOT_SENT
    assert step(progress, 6).status is StepStatus.NOT_SENT


async def test_reply_during_final_monitoring_ends_campaign_before_30_days(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(
        temporal_env.client, campaign_input(ONE_MESSAGE), worker.task_queue
    )
    await eventually(lambda: _has_sent(simulator, 1))
    await temporal_env.sleep(timedelta(days=10))

    await handle.signal(CampaignWorkflow.reply, ReplyReceived())
    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert timedelta(days=10) <= progress.ended_at - progress.started_at < THIRTY_DAYS
    assert len(await sent_messages(simulator, MILAN)) == 1


async def test_reply_during_a_slow_post_finishes_it_and_marks_the_step_sent(
    own_temporal_env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sqlite_sessions: SessionFactory,
    simulator: str,
) -> None:
    # The platform holds the POST for 15 s: the reply surely arrives while it is under way.
    await sim_post(simulator, "/_sim/faults", {"latency_ms": 15_000}, method="PUT")
    client = own_temporal_env.client
    async with build_worker(
        client, task_queue=task_queue, platform=platform, sessions=sqlite_sessions
    ):
        handle = await start_campaign(client, campaign_input(), task_queue)
        await eventually(lambda: send_phase_is(own_temporal_env, handle, "posting"))

        await handle.signal(CampaignWorkflow.reply, ReplyReceived())
        progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert progress.ended_at - progress.started_at < timedelta(minutes=1)
    # Node 1's POST had begun: it is finished, not abandoned, and the step says it was sent;
    # nothing after it is ever sent.
    sent = await sent_messages(simulator, MILAN)
    assert [m["subject"] for m in sent] == [None]
    assert step(progress, 1).status is StepStatus.SENT
    assert step(progress, 1).platform_message_id == sent[0]["id"]
    assert step(progress, 1).detail_code is StepDetail.SENT_AS_IT_ENDED
    assert all(step(progress, n).status is StepStatus.NOT_SENT for n in (2, 4, 6))


async def test_reply_missed_by_webhook_is_caught_by_pre_send_check(
    own_temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(
        own_temporal_env.client,
        campaign_input(EMAIL_THEN_DELAY_THEN_EMAIL),
        worker.task_queue,
    )
    await eventually(lambda: _has_sent(simulator, 1))
    await sim_post(
        simulator,
        f"/_sim/candidates/{MILAN}/reply",
        {"channelId": ANDREAS["email_channel"], "deliverWebhook": False},
    )

    progress = await handle.result()

    assert progress.status is CampaignStatus.REPLIED
    assert len(await sent_messages(simulator, MILAN)) == 1
    assert step(progress, 3).status is StepStatus.NOT_SENT


async def test_reply_before_this_campaign_started_does_not_stop_it(
    own_temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    await sim_post(
        simulator,
        f"/_sim/candidates/{MILAN}/reply",
        {"channelId": ANDREAS["email_channel"], "deliverWebhook": False},
    )
    handle = await start_campaign(
        own_temporal_env.client,
        campaign_input(EMAIL_THEN_DELAY_THEN_EMAIL),
        worker.task_queue,
    )
    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert len(await sent_messages(simulator, MILAN)) == 2


async def test_platform_errors_and_rate_limits_are_retried_and_each_step_sent_once(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    await sim_post(
        simulator,
        "/_sim/faults",
        {"error_count": 2, "rate_limit_count": 1, "retry_after_seconds": 1},
        method="PUT",
    )
    handle = await start_campaign(
        temporal_env.client, campaign_input(time_scale=1000), worker.task_queue
    )
    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    sent = await sent_messages(simulator, MILAN)
    assert len(sent) == 4
    assert len({m["idempotencyKey"] for m in sent}) == 4


async def test_channel_in_error_is_shown_as_a_wait_and_rechecked_until_it_recovers(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    channel = ANDREAS["linkedin_channel"]
    await _set_channel_status(simulator, channel, "ERROR")
    handle = await start_campaign(
        temporal_env.client, campaign_input(ONE_MESSAGE, time_scale=100), worker.task_queue
    )
    waiting = await eventually(lambda: _status_is(handle, CampaignStatus.WAITING_FOR_CHANNEL))
    assert waiting.waiting_cause is WaitCause.CHANNEL_ERROR
    assert waiting.waiting_channel_type is ChannelType.LINKEDIN
    assert waiting.waiting_reason == WaitCause.CHANNEL_ERROR
    assert step(waiting, 1).status is StepStatus.WAITING_FOR_CHANNEL
    # Re-checked on its own (no signal), each re-check counted.
    await eventually(lambda: _step_attempts_at_least(handle, 1, 3))
    assert await sent_messages(simulator, MILAN) == []

    await _set_channel_status(simulator, channel, "OK")
    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert step(progress, 1).status is StepStatus.SENT
    assert len(await sent_messages(simulator, MILAN)) == 1


async def test_logged_out_channel_waits_then_resumes_on_channel_restored_signal(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    channel = ANDREAS["linkedin_channel"]
    await sim_post(
        simulator,
        f"/_sim/channels/{channel}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    campaign = campaign_input()
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)

    waiting = await eventually(lambda: _status_is(handle, CampaignStatus.WAITING_FOR_CHANNEL))
    assert waiting.waiting_reason == WaitCause.LOGGED_OUT
    assert waiting.waiting_channel is MessageChannel.LINKEDIN_MESSAGE
    assert step(waiting, 1).status is StepStatus.WAITING_FOR_CHANNEL
    assert step(waiting, 1).detail_code is StepDetail.WAITING_FOR_CHANNEL
    assert step(waiting, 1).detail_cause is WaitCause.LOGGED_OUT
    async with sqlite_sessions() as session:
        row = await session.get(Campaign, campaign.campaign_id)
        assert row is not None and row.status == "WAITING_FOR_CHANNEL"
        assert row.waiting_channel_type == "LINKEDIN"
    assert await sent_messages(simulator, MILAN) == []

    await sim_post(
        simulator,
        f"/_sim/channels/{channel}/status",
        {"status": "OK", "deliverWebhook": False},
        method="PUT",
    )
    await handle.signal(
        CampaignWorkflow.channel_restored, ChannelRestored(channel_type=ChannelType.LINKEDIN)
    )
    await eventually(lambda: _has_sent(simulator, 2))
    running = await handle.query(CampaignWorkflow.progress)
    assert running.status is CampaignStatus.RUNNING and running.waiting_reason is None

    progress = await handle.result()
    assert progress.status is CampaignStatus.COMPLETED
    assert len(await sent_messages(simulator, MILAN)) == 4
    # The follow-ups keep their delays, counted from the step before them.
    assert step(progress, 4).finished_at - step(progress, 2).finished_at >= timedelta(days=2)


async def test_logged_out_channel_is_rechecked_without_a_signal(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    channel = ANDREAS["email_channel"]
    await sim_post(
        simulator,
        f"/_sim/channels/{channel}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    handle = await start_campaign(
        temporal_env.client, campaign_input(EMAIL_THEN_DELAY_THEN_EMAIL), worker.task_queue
    )
    await eventually(lambda: _status_is(handle, CampaignStatus.WAITING_FOR_CHANNEL))
    await temporal_env.sleep(timedelta(hours=1))
    await sim_post(
        simulator,
        f"/_sim/channels/{channel}/status",
        {"status": "OK", "deliverWebhook": False},
        method="PUT",
    )

    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert [s.status for s in progress.steps] == [StepStatus.SENT, StepStatus.DONE, StepStatus.SENT]


async def test_deadline_applies_while_waiting_and_the_end_says_the_channel_never_came_back(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    await sim_post(
        simulator,
        f"/_sim/channels/{ANDREAS['linkedin_channel']}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    handle = await start_campaign(
        temporal_env.client, campaign_input(ONE_MESSAGE), worker.task_queue
    )

    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert progress.end_reason is EndReason.CHANNEL_UNAVAILABLE
    assert progress.end_detail == EndDetail.CHANNEL_NEVER_RESTORED
    assert progress.ended_at - progress.started_at == THIRTY_DAYS
    assert step(progress, 1).status is StepStatus.NOT_SENT
    assert step(progress, 1).detail_code is StepDetail.CHANNEL_NEVER_RESTORED
    assert step(progress, 1).detail_cause is WaitCause.LOGGED_OUT
    assert progress.waiting_cause is None and progress.waiting_reason is None
    assert await sent_messages(simulator, MILAN) == []


async def test_logged_out_channel_does_not_hold_up_a_candidate_it_cannot_reach_anyway(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    await _set_channel_status(simulator, ANDREAS["linkedin_channel"], "ERROR_CREDENTIALS")
    handle = await start_campaign(
        temporal_env.client, campaign_input(candidate_id=NO_LINKEDIN), worker.task_queue
    )
    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert step(progress, 1).status is StepStatus.SKIPPED
    assert step(progress, 1).detail_code is StepDetail.NO_CONTACT
    assert [s.status for s in progress.steps if s.type == "message"][1:] == [StepStatus.SENT] * 3
    # It never waited for the channel: the first email went out with the start.
    assert step(progress, 2).finished_at - progress.started_at < timedelta(minutes=1)


async def test_candidate_without_email_gets_email_steps_skipped_and_linkedin_sent(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(
        temporal_env.client, campaign_input(candidate_id=NO_EMAIL), worker.task_queue
    )
    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert step(progress, 1).status is StepStatus.SENT
    for node_id in (2, 4, 6):
        assert step(progress, node_id).status is StepStatus.SKIPPED
        assert step(progress, node_id).detail_code is StepDetail.NO_CONTACT
    assert [m["channelId"] for m in await sent_messages(simulator, NO_EMAIL)] == [
        ANDREAS["linkedin_channel"]
    ]


async def test_accepted_then_timed_out_send_reaches_the_candidate_exactly_once(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    await sim_post(
        simulator,
        "/_sim/faults",
        {"accept_then_timeout_count": 2, "hang_seconds": 3},
        method="PUT",
    )
    from tests.conftest import SERVICE_TOKEN

    impatient = PlatformClient(simulator, SERVICE_TOKEN, timeout_seconds=1.0)
    try:
        async with build_worker(
            temporal_env.client, task_queue=task_queue, platform=impatient, sessions=sqlite_sessions
        ):
            handle = await start_campaign(
                temporal_env.client, campaign_input(time_scale=1000), task_queue
            )
            progress = await handle.result()
    finally:
        await impatient.aclose()

    assert progress.status is CampaignStatus.COMPLETED
    sent = await sent_messages(simulator, MILAN)
    assert sorted(m["idempotencyKey"].rsplit(":", 1)[1] for m in sent) == ["1", "2", "4", "6"]
    assert {s.platform_message_id for s in progress.steps if s.type == "message"} == {
        m["id"] for m in sent
    }


async def test_cancel_ends_the_campaign_as_cancelled(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    await eventually(lambda: _has_sent(simulator, 2))

    await handle.cancel()
    progress = await handle.result()

    assert progress.status is CampaignStatus.CANCELLED
    assert progress.end_reason is EndReason.CANCELLED
    assert len(await sent_messages(simulator, MILAN)) == 2
    description = await handle.describe()
    assert description.status is WorkflowExecutionStatus.COMPLETED


async def test_second_campaign_for_a_running_candidate_is_refused_by_temporal(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    first = await start_campaign(temporal_env.client, campaign_input(), worker.task_queue)
    with pytest.raises(WorkflowAlreadyStartedError):
        await start_campaign(temporal_env.client, campaign_input(ONE_MESSAGE), worker.task_queue)
    await first.signal(CampaignWorkflow.reply, ReplyReceived())
    await first.result()

    # Once it ended, the candidate can get a new campaign.
    second = await start_campaign(
        temporal_env.client, campaign_input(ONE_MESSAGE), worker.task_queue
    )
    await second.cancel()
    assert (await second.result()).status is CampaignStatus.CANCELLED


async def test_read_model_follows_every_state_change(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    simulator: str,
    sqlite_sessions: SessionFactory,
) -> None:
    campaign = campaign_input()
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)
    await eventually(lambda: _has_sent(simulator, 2))
    await handle.signal(CampaignWorkflow.reply, ReplyReceived(channel_id=100, message_id=7))
    progress = await handle.result()

    async with sqlite_sessions() as session:
        row = await session.get(Campaign, campaign.campaign_id)
        steps = (
            await session.scalars(
                select(CampaignStep)
                .where(CampaignStep.campaign_id == campaign.campaign_id)
                .order_by(CampaignStep.position)
            )
        ).all()
        events = (
            await session.scalars(
                select(CampaignEventRow)
                .where(CampaignEventRow.campaign_id == campaign.campaign_id)
                .order_by(CampaignEventRow.seq)
            )
        ).all()
    assert row is not None
    assert (row.status, row.end_reason) == ("REPLIED", "REPLIED")
    assert row.ended_at == progress.ended_at
    assert row.definition_hash == campaign.definition.fingerprint()
    assert (row.steps_total, row.steps_done) == (6, 6)
    assert [s.status for s in steps] == [s.status.value for s in progress.steps]
    assert [e.kind for e in events] == [
        "STARTED",
        "MESSAGE_SENT",
        "MESSAGE_SENT",
        "DELAY_STARTED",
        "REPLY_RECEIVED",
        "ENDED",
    ]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def _records_before(history: WorkflowHistory, first: EventType.ValueType) -> int:
    """Recording local activities (markers) in the history before its first `first` event."""
    count = 0
    for event in history.events:
        if event.event_type == first:
            return count
        if (
            event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
        ):
            count += 1
    raise AssertionError("the history has no such event")


DELAY_THEN_EMAIL = {
    "nodes": [
        {"id": 1, "type": "delay-step", "delaySeconds": DAY},
        {"id": 2, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Hi"},
    ]
}


@pytest.mark.parametrize(
    ("definition", "events"),
    [
        (EMAIL_THEN_DELAY_THEN_EMAIL, ["STARTED", "MESSAGE_SENT", "DELAY_STARTED"]),
        (DELAY_THEN_EMAIL, ["STARTED", "DELAY_STARTED"]),
    ],
    ids=["opens with a message", "opens with a delay"],
)
async def test_nothing_is_recorded_before_the_first_step_and_its_record_says_started(
    temporal_env: WorkflowEnvironment,
    worker: Worker,
    simulator: str,
    sqlite_sessions: SessionFactory,
    definition: dict,
    events: list[str],
) -> None:
    """The API's start already wrote the row: the workflow's first record comes with its
    first step (the first send's outcome, carried by the delay after it, or the delay it
    opens with), one record where there were two, and it still carries STARTED, first."""
    campaign = campaign_input(definition)
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)
    await eventually(
        lambda: _ends_with(event_kinds(sqlite_sessions, campaign.campaign_id), "DELAY_STARTED")
    )
    history = await handle.fetch_history()
    recorded = await event_kinds(sqlite_sessions, campaign.campaign_id)
    await handle.cancel()  # after the reads: its own record would add ENDED

    assert _records_before(history, EventType.EVENT_TYPE_TIMER_STARTED) == 1
    assert recorded == events


async def test_a_new_campaign_runs_with_every_patch_and_its_history_holds_one_patch_marker(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    """Asking Temporal for each patch wrote a marker and a `TemporalChangeVersion` upsert per
    patch into every new campaign's history; one marker now stands for all of them."""
    handle = await start_campaign(
        temporal_env.client, campaign_input(EMAIL_THEN_DELAY_THEN_EMAIL), worker.task_queue
    )
    progress = await handle.result()
    history = await handle.fetch_history()

    patches = [
        json.loads(event.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    assert patches == [{"id": ALL_EARLIER_PATCHES_PATCH, "deprecated": False}]
    change_versions = [
        event
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        and "TemporalChangeVersion"
        in event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert len(change_versions) == 1
    # It ran with the earlier patches: no record before the first step (v7), each send's
    # outcome recorded with the delay after it (v5), a final reply check before the end (v2).
    assert _records_before(history, EventType.EVENT_TYPE_TIMER_STARTED) == 1
    scheduled = [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == ["send_message", "send_message", "find_reply"]
    assert progress.end_reason is EndReason.NO_REPLY


async def _ends_with(events: Awaitable[list[str]], kind: str) -> bool:
    return (await events)[-1:] == [kind]


async def test_time_scale_divides_every_duration(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    handle = await start_campaign(
        temporal_env.client, campaign_input(time_scale=1440), worker.task_queue
    )
    progress = await handle.result()

    # 30 days / 1440 = 30 minutes; 2 days / 1440 = 2 minutes.
    assert progress.ended_at - progress.started_at == timedelta(minutes=30)
    gap = step(progress, 4).finished_at - step(progress, 2).finished_at
    assert timedelta(minutes=2) <= gap < timedelta(minutes=3)


async def test_operator_sees_summaries_and_search_attributes(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str
) -> None:
    campaign = campaign_input()
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)
    await eventually(lambda: _has_sent(simulator, 2))
    await handle.signal(CampaignWorkflow.reply, ReplyReceived())
    await handle.result()

    history = await handle.fetch_history()
    summaries = [
        # Encrypted like every payload but the API's workflow summary; the Web UI decodes them.
        (await temporal_env.client.data_converter.decode([event.user_metadata.summary], [str]))[0]
        for event in history.events
        if event.HasField("user_metadata") and event.user_metadata.HasField("summary")
    ]
    assert f"Campaign {campaign.campaign_id} for candidate {MILAN}" in summaries
    assert "Send LINKEDIN_MESSAGE — node 1" in summaries
    assert "Send GMAIL — node 2" in summaries
    assert "Wait 2 d before node 4" in summaries


async def test_a_message_the_platform_refuses_for_good_fails_its_step_and_the_campaign_goes_on(
    temporal_env: WorkflowEnvironment, worker: Worker, simulator: str, platform: PlatformClient
) -> None:
    campaign = campaign_input(EMAIL_THEN_DELAY_THEN_EMAIL)
    # Someone already used node 1's key for another chat: the platform answers 422 for good.
    await platform.post_message(
        OnBehalfOf(ANDREAS["id"]),
        channel_id=ANDREAS["email_channel"],
        candidate_id=NO_LINKEDIN,
        body=PostMessageBody(body="Unrelated", subject="Unrelated"),
        idempotency_key=f"{campaign.campaign_id}:1",
    )
    handle = await start_campaign(temporal_env.client, campaign, worker.task_queue)
    progress = await handle.result()

    assert progress.status is CampaignStatus.COMPLETED
    assert step(progress, 1).status is StepStatus.FAILED
    assert "422" in (step(progress, 1).detail or "")
    assert progress.last_error == step(progress, 1).detail
    assert step(progress, 3).status is StepStatus.SENT
    assert [m["subject"] for m in await sent_messages(simulator, MILAN)] == ["Re"]


# --- polling helpers -----------------------------------------------------------------------


async def _has_sent(simulator: str, count: int) -> bool:
    return (
        len(await sent_messages(simulator, MILAN)) + len(await sent_messages(simulator, NO_EMAIL))
        >= count
    )


async def _set_channel_status(simulator: str, channel_id: int, status: str) -> None:
    await sim_post(
        simulator,
        f"/_sim/channels/{channel_id}/status",
        {"status": status, "deliverWebhook": False},
        method="PUT",
    )


async def _step_attempts_at_least(handle: WorkflowHandle, node_id: int, attempts: int) -> bool:
    progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
    return step(progress, node_id).attempts >= attempts


async def _step_status_is(
    handle: WorkflowHandle, node_id: int, status: StepStatus
) -> CampaignProgress | None:
    progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
    return progress if step(progress, node_id).status is status else None


async def _status_is(handle: WorkflowHandle, status: CampaignStatus) -> CampaignProgress | None:
    progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
    return progress if progress.status is status else None
