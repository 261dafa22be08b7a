"""Writes to the read model. Every write is idempotent, so an activity may run it twice.

Rows go in as one statement with a list of parameters (SQLAlchemy's "insertmanyvalues": one
round trip, compiled once and cached), never as `.values([...])`, whose multi-row VALUES is
compiled again on every call (about 7 ms of CPU each, profiled)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.contracts import (
    CampaignInput,
    CampaignProgress,
    RecordProgressInput,
    StepProgress,
    initial_steps,
)
from campaigns.definition import CHANNEL_TYPE_OF
from campaigns.status import ACTIVE_STATUSES, CampaignStatus, EndReason, StepStatus
from db.models import Campaign, CampaignEventRow, CampaignStep
from db.upsert import dialect_insert

# The tables themselves, not the ORM classes: an insert of an ORM class with a list of rows
# takes SQLAlchemy's ORM bulk path, about a third of a snapshot's CPU (profiled); these writes
# need none of it.
CAMPAIGNS = Campaign.__table__
CAMPAIGN_STEPS = CampaignStep.__table__
CAMPAIGN_EVENTS = CampaignEventRow.__table__


def _campaign_values(progress: CampaignProgress) -> dict[str, object]:
    return {
        "run_id": progress.run_id,
        "status": progress.status.value,
        "started_at": progress.started_at,
        "ends_at": progress.ends_at,
        "ended_at": progress.ended_at,
        "end_reason": progress.end_reason.value if progress.end_reason else None,
        "current_node_id": progress.current_node_id,
        "next_action": progress.next_action,
        "next_action_channel": progress.next_action_channel,
        "next_action_at": progress.next_action_at,
        "waiting_reason": progress.waiting_reason,
        "waiting_channel": progress.waiting_channel,
        "waiting_time_zone": progress.waiting_time_zone,
        "waiting_channel_type": _waiting_channel_type(progress),
        "waiting_cause": progress.waiting_cause.value if progress.waiting_cause else None,
        "end_detail": progress.end_detail,
        "last_error": (progress.last_error or None) and progress.last_error[:500],
        "last_action": progress.last_action,
        "last_action_channel": progress.last_action_channel,
        "last_action_at": progress.last_action_at,
        "steps_total": len(progress.steps),
        "steps_done": progress.steps_done,
    }


def _waiting_channel_type(progress: CampaignProgress) -> str | None:
    if progress.status is not CampaignStatus.WAITING_FOR_CHANNEL:
        return None
    for step in progress.steps:
        if step.status is StepStatus.WAITING_FOR_CHANNEL and step.channel is not None:
            return CHANNEL_TYPE_OF[step.channel].value
    return None


def _step_values(step: StepProgress) -> dict[str, object]:
    return {
        "position": step.position,
        "type": step.type,
        "channel": step.channel.value if step.channel else None,
        "status": step.status.value,
        "started_at": step.started_at,
        "due_at": step.due_at,
        "finished_at": step.finished_at,
        "platform_channel_id": step.platform_channel_id,
        "platform_message_id": step.platform_message_id,
        "attempts": step.attempts,
        "detail": step.detail_code or (step.detail or None) and step.detail[:500],
        "detail_cause": step.detail_cause,
        "detail_time_zone": step.detail_time_zone,
    }


# What a newer snapshot overwrites: every key of _campaign_values and _step_values (a test
# keeps them equal); the campaign's identity and definition are written once, by its first row.
SNAPSHOT_COLUMNS = (
    "run_id",
    "status",
    "started_at",
    "ends_at",
    "ended_at",
    "end_reason",
    "current_node_id",
    "next_action",
    "next_action_channel",
    "next_action_at",
    "waiting_reason",
    "waiting_channel",
    "waiting_time_zone",
    "waiting_channel_type",
    "waiting_cause",
    "end_detail",
    "last_error",
    "last_action",
    "last_action_channel",
    "last_action_at",
    "steps_total",
    "steps_done",
    "snapshot_seq",
    "updated_at",
)
STEP_COLUMNS = (
    "position",
    "type",
    "channel",
    "status",
    "started_at",
    "due_at",
    "finished_at",
    "platform_channel_id",
    "platform_message_id",
    "attempts",
    "detail",
    "detail_cause",
    "detail_time_zone",
)


@cache
def _statements(dialect: str) -> tuple[Any, Any, Any]:
    """The snapshot's three statements for `dialect`, built once: a statement built per call
    costs its construction and its cache key every time (a tenth of a snapshot's CPU)."""
    campaign = dialect_insert(dialect, CAMPAIGNS)
    campaign = campaign.on_conflict_do_update(
        index_elements=[CAMPAIGNS.c.id],
        set_={name: campaign.excluded[name] for name in SNAPSHOT_COLUMNS},
        where=CAMPAIGNS.c.snapshot_seq < campaign.excluded.snapshot_seq,
    ).returning(CAMPAIGNS.c.id)
    steps = dialect_insert(dialect, CAMPAIGN_STEPS)
    steps = steps.on_conflict_do_update(
        index_elements=[CAMPAIGN_STEPS.c.campaign_id, CAMPAIGN_STEPS.c.node_id],
        set_={name: steps.excluded[name] for name in STEP_COLUMNS},
    )
    events = dialect_insert(dialect, CAMPAIGN_EVENTS).on_conflict_do_nothing()
    return campaign, steps, events


@cache
def _start_statements(dialect: str) -> tuple[Any, Any]:
    """`record_start`'s two inserts for `dialect`, built once (as `_statements`)."""
    campaign = dialect_insert(dialect, CAMPAIGNS).on_conflict_do_nothing()
    steps = dialect_insert(dialect, CAMPAIGN_STEPS).on_conflict_do_nothing()
    return campaign, steps


async def apply_snapshot(session: AsyncSession, record: RecordProgressInput, now: datetime) -> None:
    """Upsert the campaign, its steps and new events; an older snapshot never wins."""
    progress = record.progress
    upsert_campaign, upsert_steps, insert_events = _statements(session.get_bind().dialect.name)
    # RETURNING answers a row only when this snapshot was written (inserted, or newer than the
    # row's): one round trip instead of an upsert and a read of the row's sequence.
    written = await session.scalar(
        upsert_campaign,
        {
            "id": progress.campaign_id,
            "owner_user_id": progress.owner_user_id,
            "role_id": progress.role_id,
            "candidate_id": progress.candidate_id,
            "workflow_id": progress.workflow_id,
            "definition": record.definition.model_dump(mode="json"),
            "definition_hash": record.definition_hash,
            "created_at": progress.started_at,
            **_campaign_values(progress),
            "snapshot_seq": record.snapshot_seq,
            "updated_at": now,
        },
    )
    if written is not None and progress.steps:
        # Every step in one multi-row upsert (the same snapshot again after a retry was written
        # with its steps in one transaction: nothing to do then).
        await session.execute(
            upsert_steps,
            [
                {"campaign_id": progress.campaign_id, "node_id": step.node_id, **_step_values(step)}
                for step in progress.steps
            ],
        )
    if record.new_events:
        await session.execute(
            insert_events,
            [
                {
                    "campaign_id": progress.campaign_id,
                    "seq": event.seq,
                    "at": event.at,
                    "kind": event.kind.value,
                    "node_id": event.node_id,
                    "data": event.data,
                }
                for event in record.new_events
            ],
        )
    await session.commit()


async def record_start(
    session: AsyncSession,
    campaign: CampaignInput,
    *,
    workflow_id: str,
    run_id: str | None,
    definition_hash: str,
    now: datetime,
) -> None:
    """The row of a campaign whose workflow just started; a snapshot already there wins."""
    values = {
        "id": campaign.campaign_id,
        "owner_user_id": campaign.owner_user_id,
        "role_id": campaign.role_id,
        "candidate_id": campaign.candidate_id,
        "workflow_id": workflow_id,
        "run_id": run_id,
        "status": CampaignStatus.RUNNING.value,
        "definition": campaign.definition.model_dump(mode="json"),
        "definition_hash": definition_hash,
        "created_at": now,
        "started_at": now,
        "steps_total": len(campaign.definition.nodes),
        "steps_done": 0,
        "snapshot_seq": 0,
        "updated_at": now,
    }
    steps = [
        {"campaign_id": campaign.campaign_id, "node_id": step.node_id, **_step_values(step)}
        for step in initial_steps(campaign.definition)
    ]

    insert_campaign, insert_steps = _start_statements(session.get_bind().dialect.name)

    async def insert() -> None:
        await session.execute(insert_campaign, values)
        await session.execute(insert_steps, steps)
        await session.commit()

    try:
        await insert()
    except IntegrityError:
        # An older campaign's end was never recorded; Temporal just proved that it ended.
        await session.rollback()
        await session.execute(
            update(Campaign)
            .where(
                Campaign.candidate_id == campaign.candidate_id,
                Campaign.id != campaign.campaign_id,
                Campaign.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
            .values(
                status=CampaignStatus.FAILED.value,
                end_reason=EndReason.FAILED.value,
                ended_at=now,
                next_action=None,
                next_action_at=None,
                last_error="Ended without a final record",
                updated_at=now,
            )
        )
        await insert()
