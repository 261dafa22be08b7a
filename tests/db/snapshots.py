"""Read-model rows and recording-activity snapshots for the database tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.codes import NextAction
from campaigns.contracts import (
    CampaignEvent,
    CampaignProgress,
    EventKind,
    RecordProgressInput,
    StepProgress,
    workflow_id_for,
)
from campaigns.definition import CAMPAIGN_LIFETIME, MessageChannel, MessageNode
from campaigns.status import CampaignStatus, StepStatus
from db.models import Campaign, CampaignEventRow, CampaignStep
from tests.support.campaigns import definition

# Not UTC on purpose, with microseconds: both databases must give back the same instant in UTC.
STARTED_AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
ROLE_ID = 10
OWNER_ID = 1

_candidate_ids = count(900_001)


def new_candidate_id() -> int:
    """A candidate no other test of this session uses."""
    return next(_candidate_ids)


def campaign_row(candidate_id: int, status: CampaignStatus, **fields: Any) -> Campaign:
    """A campaigns row as the API writes it when it starts a campaign."""
    now = datetime.now(UTC)
    raw = definition()
    return Campaign(
        id=str(uuid.uuid4()),
        owner_user_id=OWNER_ID,
        role_id=ROLE_ID,
        candidate_id=candidate_id,
        workflow_id=workflow_id_for(candidate_id),
        status=status.value,
        definition=raw.model_dump(mode="json"),
        definition_hash=raw.fingerprint(),
        created_at=now,
        updated_at=now,
        **fields,
    )


def record(
    campaign_id: str,
    candidate_id: int,
    *,
    seq: int,
    sent: int = 0,
    status: CampaignStatus = CampaignStatus.RUNNING,
    events: Sequence[tuple[int, EventKind]] = (),
) -> RecordProgressInput:
    """Snapshot number `seq` of the brief's example, its first `sent` nodes done."""
    campaign = definition()
    steps = []
    for position, node in enumerate(campaign.nodes):
        done = position < sent
        is_message = isinstance(node, MessageNode)
        at = STARTED_AT + timedelta(minutes=position)
        steps.append(
            StepProgress(
                node_id=node.id,
                position=position,
                type=node.type,
                channel=node.channel if is_message else None,
                status=(StepStatus.SENT if is_message else StepStatus.DONE)
                if done
                else StepStatus.PENDING,
                started_at=at if done else None,
                finished_at=at + timedelta(seconds=1) if done else None,
                platform_channel_id=100 if done and is_message else None,
                platform_message_id=position + 1 if done and is_message else None,
                attempts=1 if done and is_message else 0,
            )
        )
    progress = CampaignProgress(
        campaign_id=campaign_id,
        workflow_id=workflow_id_for(candidate_id),
        run_id=f"run-{campaign_id}",
        owner_user_id=OWNER_ID,
        role_id=ROLE_ID,
        candidate_id=candidate_id,
        status=status,
        started_at=STARTED_AT,
        ends_at=STARTED_AT + CAMPAIGN_LIFETIME,
        ended_at=None if status.is_active else STARTED_AT + timedelta(days=1),
        current_node_id=campaign.nodes[min(sent, len(campaign.nodes) - 1)].id,
        next_action=NextAction.SEND,
        next_action_channel=MessageChannel.EMAIL,
        next_action_at=STARTED_AT + timedelta(hours=seq),
        steps=steps,
    )
    return RecordProgressInput(
        progress=progress,
        definition=campaign,
        definition_hash=campaign.fingerprint(),
        new_events=[
            CampaignEvent(seq=event_seq, at=STARTED_AT + timedelta(seconds=event_seq), kind=kind)
            for event_seq, kind in events
        ],
        snapshot_seq=seq,
    )


async def stored(session: AsyncSession, campaign_id: str) -> dict[str, Any]:
    """The campaign's rows: the campaign, its steps by node and its events by seq."""
    campaign = await session.get(Campaign, campaign_id, populate_existing=True)
    assert campaign is not None, f"campaign {campaign_id} was not stored"
    steps = (
        await session.scalars(
            select(CampaignStep)
            .where(CampaignStep.campaign_id == campaign_id)
            .order_by(CampaignStep.node_id)
        )
    ).all()
    events = (
        await session.scalars(
            select(CampaignEventRow)
            .where(CampaignEventRow.campaign_id == campaign_id)
            .order_by(CampaignEventRow.seq)
        )
    ).all()
    return {
        "campaign": campaign.model_dump(),
        "steps": [step.model_dump() for step in steps],
        "events": [event.model_dump(exclude={"id"}) for event in events],
    }
