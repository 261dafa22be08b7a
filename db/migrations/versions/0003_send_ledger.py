"""send ledger: accounts, reservations, users' sending settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:19:38.910222
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RESERVED = sa.text("state = 'RESERVED'")


def upgrade() -> None:
    op.create_table(
        "send_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel_type", sa.String(length=16), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "channel_type", name="uq_send_accounts_user_channel"),
    )
    op.create_table(
        "sending_settings",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "send_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["send_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("send_reservations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_send_reservations_account_send_at", ["account_id", "send_at"], unique=False
        )
        batch_op.create_index(
            "uq_send_reservations_one_per_step",
            ["campaign_id", "node_id"],
            unique=True,
            sqlite_where=_RESERVED,
            postgresql_where=_RESERVED,
        )


def downgrade() -> None:
    with op.batch_alter_table("send_reservations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_send_reservations_one_per_step", sqlite_where=_RESERVED, postgresql_where=_RESERVED
        )
        batch_op.drop_index("ix_send_reservations_account_send_at")

    op.drop_table("send_reservations")
    op.drop_table("sending_settings")
    op.drop_table("send_accounts")
