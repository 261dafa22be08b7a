"""Old rows and new rows read the same: a row recorded before the codes keeps its English,
shown as it is; a row recorded with codes is worded by the API's presenters, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from api.campaign_views import PlatformChats, build_view
from api.role_overview import overview_row
from campaigns.codes import EndDetail, LastAction, NextAction, StepDetail
from campaigns.definition import MessageChannel
from campaigns.status import CampaignStatus, EndReason, StepStatus, WaitCause
from db import campaign_queries
from db.campaign_store import apply_snapshot
from db.engine import SessionFactory
from db.models import CampaignStep
from recruiting_platform import Candidate
from tests.db.snapshots import ROLE_ID, campaign_row, new_candidate_id, record

BRUSSELS = "Europe/Brussels"


async def _views(sessions: SessionFactory, candidate_id: int):
    async with sessions() as session:
        row = await campaign_queries.latest_for_candidate(session, ROLE_ID, candidate_id)
        assert row is not None
        steps = (await campaign_queries.steps_of(session, [row.id]))[row.id]
        events = await campaign_queries.events_of(session, row.id)
        overview = (await campaign_queries.latest_per_candidate(session, ROLE_ID))[candidate_id]
    view = build_view(row, steps, events, PlatformChats(), "http://temporal-ui")
    person = Candidate(id=candidate_id, firstName="Ada", lastName="Old")
    return view, overview_row(person, overview)


async def test_a_row_recorded_before_the_codes_shows_its_english_as_it_is(
    sessions: SessionFactory,
) -> None:
    candidate_id = new_candidate_id()
    row = campaign_row(
        candidate_id,
        CampaignStatus.WAITING_FOR_CHANNEL,
        next_action="Re-check LinkedIn channel",
        next_action_at=datetime.now(UTC) + timedelta(hours=1),
        last_action="Email sent",
        waiting_reason="LinkedIn logged out — reconnect",
        waiting_cause=WaitCause.LOGGED_OUT.value,
        end_detail="LinkedIn stayed logged out until the 30-day limit",
        last_error="The last reply check before the end could not read the chats",
    )
    async with sessions() as session:
        session.add(row)
        await session.flush()
        session.add(
            CampaignStep(
                campaign_id=row.id,
                node_id=1,
                position=0,
                type="message",
                channel=MessageChannel.LINKEDIN_MESSAGE.value,
                status=StepStatus.WAITING_FOR_CHANNEL.value,
                detail="LinkedIn logged out — reconnect",
            )
        )
        await session.commit()

    view, overview = await _views(sessions, candidate_id)

    assert view.next_action == overview.next_action == "Re-check LinkedIn channel"
    assert view.last_action == overview.last_action == "Email sent"
    assert view.waiting_reason == overview.waiting_reason == "LinkedIn logged out — reconnect"
    assert view.end_detail == "LinkedIn stayed logged out until the 30-day limit"
    assert view.last_error == "The last reply check before the end could not read the chats"
    assert view.steps[0].detail == "LinkedIn logged out — reconnect"


async def test_a_row_recorded_with_codes_is_worded_like_before(sessions: SessionFactory) -> None:
    candidate_id = new_candidate_id()
    snapshot = record(str(uuid.uuid4()), candidate_id, seq=1, sent=1)
    progress = snapshot.progress
    slot = datetime.now(UTC) + timedelta(days=1)
    progress.next_action, progress.next_action_channel = NextAction.SEND, MessageChannel.EMAIL
    progress.next_action_at = slot
    progress.last_action = LastAction.SENT
    progress.last_action_channel = MessageChannel.LINKEDIN_MESSAGE
    progress.waiting_reason = WaitCause.DAILY_LIMIT.value
    progress.waiting_channel, progress.waiting_time_zone = MessageChannel.EMAIL, BRUSSELS
    progress.waiting_cause = WaitCause.DAILY_LIMIT
    email = progress.steps[1]
    email.status, email.due_at = StepStatus.WAITING_FOR_SLOT, slot
    email.detail_code, email.detail_cause = StepDetail.WAITING_FOR_SLOT, WaitCause.DAILY_LIMIT
    email.detail_time_zone = BRUSSELS
    async with sessions() as session:
        await apply_snapshot(session, snapshot, datetime.now(UTC))

    view, overview = await _views(sessions, candidate_id)

    assert view.next_action == overview.next_action == "Send Email"
    assert view.last_action == overview.last_action == "LinkedIn message sent"
    local = slot.astimezone(ZoneInfo(BRUSSELS))
    waiting = f"Email daily limit reached — next slot {local:%a %H:%M} (Europe/Brussels)"
    assert view.waiting_reason == overview.waiting_reason == waiting
    assert view.waiting_cause == "DAILY_LIMIT"
    assert view.steps[1].detail == waiting


async def test_a_coded_end_for_a_channel_that_never_came_back_is_worded(
    sessions: SessionFactory,
) -> None:
    candidate_id = new_candidate_id()
    snapshot = record(str(uuid.uuid4()), candidate_id, seq=1, status=CampaignStatus.COMPLETED)
    progress = snapshot.progress
    progress.end_reason, progress.end_detail = (
        EndReason.CHANNEL_UNAVAILABLE,
        EndDetail.CHANNEL_NEVER_RESTORED,
    )
    progress.next_action = None
    for step in progress.steps:
        step.status, step.detail_code = StepStatus.NOT_SENT, StepDetail.ENDED_AT_LIMIT
    blocked = progress.steps[0]
    blocked.detail_code, blocked.detail_cause = (
        StepDetail.CHANNEL_NEVER_RESTORED,
        WaitCause.LOGGED_OUT,
    )
    async with sessions() as session:
        await apply_snapshot(session, snapshot, datetime.now(UTC))

    view, overview = await _views(sessions, candidate_id)

    assert view.end_detail == "LinkedIn stayed logged out until the 30-day limit"
    assert view.steps[0].detail == "Not sent: LinkedIn stayed logged out until the 30-day limit"
    assert view.steps[1].detail == "Not sent: campaign ended (no reply in 30 days)"
    assert view.next_action is None and overview.next_action is None
