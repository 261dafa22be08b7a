"""event outbox: events out to the platform

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000

Named, not numbered only, because another 0004 may be merged beside it: whichever lands
second takes the other as its down_revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("delivered_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("source_seq", sa.Integer(), nullable=False),
        sa.Column("source_row_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "seq", name="uq_event_outbox_seq"),
        sa.UniqueConstraint("campaign_id", "source_seq", name="uq_event_outbox_source"),
    )
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_event_outbox_source_row_id", ["source_row_id"], unique=False)
        batch_op.create_index(
            "ix_event_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_event_outbox_pending", sqlite_where=_PENDING, postgresql_where=_PENDING
        )
        batch_op.drop_index("ix_event_outbox_source_row_id")
    op.drop_table("event_outbox")
