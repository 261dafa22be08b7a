"""The outbox of events out to the platform (docs/events.md).

Not a projection: the deliverer (activities/event_delivery.py) queues here each timeline event
the platform hears of, with its own contiguous sequence number, and marks it delivered once the
platform's endpoint accepted it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime

_PENDING_SQL = "delivered_at IS NULL"


class OutboundEvent(SQLModel, table=True):
    __tablename__ = "event_outbox"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "seq", name="uq_event_outbox_seq"),
        sa.UniqueConstraint("campaign_id", "source_seq", name="uq_event_outbox_source"),
        # The undelivered events in queue order: what each delivery pass reads.
        sa.Index(
            "ix_event_outbox_pending",
            "id",
            sqlite_where=sa.text(_PENDING_SQL),
            postgresql_where=sa.text(_PENDING_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
        )
    )
    seq: int  # 1, 2, 3… per campaign: the payload's `sequence`
    source_seq: int  # the timeline event's seq (campaign_events.seq), which has gaps
    # campaign_events.id of the source: where the next scan for new events starts.
    source_row_id: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False, index=True))
    event_type: str = Field(max_length=40)
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    queued_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))
