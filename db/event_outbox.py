"""The outbox's queries: queue new timeline events, read the undelivered ones, mark them.

Only the deliverer writes here, and there is one per deployment (workflows/event_deliverer.py),
so numbering a campaign's events needs no lock: `max(seq) + 1`. Should two ever run for a
moment (a retried activity whose old attempt is still alive), the unique constraints refuse
the second numbering and that attempt fails and is retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.outbound_events import DELIVERED_KINDS, EVENT_TYPES, event_payload
from db.event_outbox_models import OutboundEvent
from db.models import Campaign, CampaignEventRow


async def newest_event_row_id(session: AsyncSession) -> int:
    """The highest campaign_events.id committed now (0 when there is none)."""
    return (await session.scalar(select(func.max(CampaignEventRow.id)))) or 0


async def settled_floor(session: AsyncSession, queued_before: datetime) -> int:
    """Where a new deliverer starts scanning: the source row of the last event queued before
    `queued_before` (rows below it that were still uncommitted then have long been queued)."""
    row_id = await session.scalar(
        select(OutboundEvent.source_row_id)
        .where(OutboundEvent.queued_at < queued_before)
        .order_by(OutboundEvent.id.desc())
        .limit(1)
    )
    return row_id or 0


async def queue_new_events(
    session: AsyncSession, *, after_row_id: int, limit: int, now: datetime
) -> int:
    """Queue up to `limit` deliverable timeline events above `after_row_id` not queued yet,
    oldest first, each with the next sequence number of its campaign. Returns how many."""
    queued_already = exists().where(
        and_(
            OutboundEvent.campaign_id == CampaignEventRow.campaign_id,
            OutboundEvent.source_seq == CampaignEventRow.seq,
        )
    )
    rows = (
        await session.execute(
            select(
                CampaignEventRow.id,
                CampaignEventRow.campaign_id,
                CampaignEventRow.seq,
                CampaignEventRow.at,
                CampaignEventRow.kind,
                CampaignEventRow.node_id,
                CampaignEventRow.data,
                Campaign.owner_user_id,
                Campaign.role_id,
                Campaign.candidate_id,
            )
            .join(Campaign, Campaign.id == CampaignEventRow.campaign_id)
            .where(
                CampaignEventRow.id > after_row_id,
                CampaignEventRow.kind.in_(DELIVERED_KINDS),
                ~queued_already,
            )
            .order_by(CampaignEventRow.id)
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    last_seq = await _last_sequences(session, {row.campaign_id for row in rows})
    # End the read before writing: on SQLite a read transaction that turns into a write fails
    # ("database is locked") when another writer committed meanwhile, instead of waiting.
    await session.commit()
    # A campaign's events are committed in their timeline order, so (campaign, seq) order is
    # the order they happened in, whatever ids concurrent campaigns' rows received.
    for row in sorted(rows, key=lambda r: (r.campaign_id, r.seq)):
        sequence = last_seq.get(row.campaign_id, 0) + 1
        last_seq[row.campaign_id] = sequence
        session.add(_outbound(row, sequence, now))
    await session.commit()
    return len(rows)


def _outbound(row: Row, sequence: int, now: datetime) -> OutboundEvent:
    return OutboundEvent(
        campaign_id=row.campaign_id,
        seq=sequence,
        source_seq=row.seq,
        source_row_id=row.id,
        event_type=EVENT_TYPES[row.kind],
        payload=event_payload(
            campaign_id=row.campaign_id,
            sequence=sequence,
            kind=row.kind,
            at=row.at,
            node_id=row.node_id,
            data=row.data,
            owner_user_id=row.owner_user_id,
            role_id=row.role_id,
            candidate_id=row.candidate_id,
        ),
        queued_at=now,
    )


async def _last_sequences(session: AsyncSession, campaign_ids: set[str]) -> dict[str, int]:
    rows = await session.execute(
        select(OutboundEvent.campaign_id, func.max(OutboundEvent.seq))
        .where(OutboundEvent.campaign_id.in_(campaign_ids))
        .group_by(OutboundEvent.campaign_id)
    )
    return {row[0]: row[1] for row in rows.all()}


async def undelivered(session: AsyncSession, limit: int) -> Sequence[OutboundEvent]:
    """The oldest undelivered events in queue order: per campaign, in sequence order."""
    result = await session.scalars(
        select(OutboundEvent)
        .where(OutboundEvent.delivered_at.is_(None))
        .order_by(OutboundEvent.id)
        .limit(limit)
    )
    return result.all()


async def mark_delivered(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    if ids:
        await session.execute(
            update(OutboundEvent).where(OutboundEvent.id.in_(ids)).values(delivered_at=now)
        )
        await session.commit()
