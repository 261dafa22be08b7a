"""SQLModel tables of the read model.

Temporal owns each campaign's state and history; these tables are a projection of it written by
the workflow's recording activity (and by the API when it starts a campaign), so that listing
and dashboards never need to ask Temporal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from campaigns.status import ACTIVE_STATUSES
from db.types import UTCDateTime

_ACTIVE_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(ACTIVE_STATUSES)))


def _utc(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"
    __table_args__ = (
        # At most one active campaign per candidate, enforced by the database itself.
        sa.Index(
            "uq_campaigns_one_active_per_candidate",
            "candidate_id",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
        sa.Index("ix_campaigns_role_candidate_created", "role_id", "candidate_id", "created_at"),
        sa.Index("ix_campaigns_owner_status", "owner_user_id", "status"),
    )

    id: str = Field(primary_key=True, max_length=36)
    owner_user_id: int = Field(index=True)
    role_id: int
    candidate_id: int = Field(index=True)
    workflow_id: str = Field(max_length=128)
    run_id: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=32)
    definition: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    definition_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = _utc()
    ends_at: datetime | None = _utc()
    ended_at: datetime | None = _utc()
    end_reason: str | None = Field(default=None, max_length=32)
    current_node_id: int | None = None
    # Codes of `campaigns/codes.py` with their parameters, worded by `campaigns/wording.py`;
    # rows recorded before the codes hold English, shown as it is.
    next_action: str | None = Field(default=None, max_length=200)
    next_action_channel: str | None = Field(default=None, max_length=32)
    next_action_at: datetime | None = _utc()
    waiting_reason: str | None = Field(default=None, max_length=200)
    waiting_channel: str | None = Field(default=None, max_length=32)
    waiting_time_zone: str | None = Field(default=None, max_length=64)
    waiting_channel_type: str | None = Field(default=None, max_length=16)
    waiting_cause: str | None = Field(default=None, max_length=32)  # campaigns.status.WaitCause
    end_detail: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, max_length=500)
    last_action: str | None = Field(default=None, max_length=200)
    last_action_channel: str | None = Field(default=None, max_length=32)
    last_action_at: datetime | None = _utc()
    steps_total: int = 0
    steps_done: int = 0
    # The workflow's snapshot counter: an older snapshot never overwrites a newer one.
    snapshot_seq: int = 0
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class CampaignStep(SQLModel, table=True):
    __tablename__ = "campaign_steps"

    campaign_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
        )
    )
    node_id: int = Field(primary_key=True)
    position: int
    type: str = Field(max_length=16)
    channel: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=32)
    started_at: datetime | None = _utc()
    due_at: datetime | None = _utc()
    finished_at: datetime | None = _utc()
    platform_channel_id: int | None = None
    platform_message_id: int | None = None
    attempts: int = 0
    detail: str | None = Field(default=None, max_length=500)  # a StepDetail code, or words
    detail_cause: str | None = Field(default=None, max_length=32)
    detail_time_zone: str | None = Field(default=None, max_length=64)


class CampaignEventRow(SQLModel, table=True):
    __tablename__ = "campaign_events"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "seq", name="uq_campaign_events_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
        )
    )
    seq: int
    at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    kind: str = Field(max_length=32)
    node_id: int | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class WebhookReceipt(SQLModel, table=True):
    """Every webhook the platform sent us and what we did with it (signalled or ignored).

    A reply webhook is recorded once per platform message: a repeated delivery finds its
    receipt and changes nothing."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (
        sa.Index("uq_webhook_receipts_message", "kind", "channel_id", "message_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    kind: str = Field(max_length=16)
    user_id: int | None = None
    candidate_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    outcome: str = Field(max_length=32)
    campaign_id: str | None = Field(default=None, max_length=36)


class DashboardSession(SQLModel, table=True):
    """A signed-in dashboard session: the cookie holds only its random id, this row the rest.

    Keyed by a SHA-256 of the id, so reading the table gives no cookie that works; the user's
    platform token is encrypted (Fernet, `SESSION_ENCRYPTION_KEYS`). Sign-out deletes the row,
    so a copied cookie stops working; expired rows are deleted at every sign-in."""

    __tablename__ = "dashboard_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int
    token_ciphertext: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
