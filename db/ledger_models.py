"""Tables of the send ledger and of the users' sending settings.

Unlike the read model (db/models.py), these are a source of truth, not a projection: the
ledger decides when each send may go (db/send_ledger.py), and the settings are owned by us
because the platform has none. docs/sending-limits.md explains both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


class ReservationState(StrEnum):
    RESERVED = "RESERVED"
    # Re-planned after an attempt that may have used it: still counted until it ages out.
    RETIRED = "RETIRED"


_RESERVED_SQL = f"state = '{ReservationState.RESERVED.value}'"


class SendAccount(SQLModel, table=True):
    """One user's LinkedIn account or mailbox; its row is the lock every reservation takes."""

    __tablename__ = "send_accounts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "channel_type", name="uq_send_accounts_user_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int
    channel_type: str = Field(max_length=16)
    touched_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class SendReservation(SQLModel, table=True):
    """'The send of campaign C's node N may go at `send_at`', counted against the account."""

    __tablename__ = "send_reservations"
    __table_args__ = (
        # One live reservation per step; retired ones stay beside it until they age out.
        sa.Index(
            "uq_send_reservations_one_per_step",
            "campaign_id",
            "node_id",
            unique=True,
            sqlite_where=sa.text(_RESERVED_SQL),
            postgresql_where=sa.text(_RESERVED_SQL),
        ),
        sa.Index("ix_send_reservations_account_send_at", "account_id", "send_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("send_accounts.id", ondelete="CASCADE"), nullable=False
        )
    )
    campaign_id: str = Field(max_length=36)
    node_id: int
    kind: str = Field(max_length=32)
    state: str = Field(max_length=16)
    send_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    reason: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class SendingSettingsRow(SQLModel, table=True):
    """A user's saved schedule, limits and pacing (`SendingSettings` as JSON); no row means
    the defaults."""

    __tablename__ = "sending_settings"

    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False, nullable=False)
    )
    settings: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
