"""read model: campaigns, steps, events, webhook receipts

Revision ID: 0001
Revises:
Create Date: 2026-11-29 11:25:15.364028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=128), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("definition_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("current_node_id", sa.Integer(), nullable=True),
        sa.Column("next_action", sa.String(length=200), nullable=True),
        sa.Column("next_action_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_reason", sa.String(length=200), nullable=True),
        sa.Column("waiting_channel_type", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_action", sa.String(length=200), nullable=True),
        sa.Column("last_action_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("steps_total", sa.Integer(), nullable=False),
        sa.Column("steps_done", sa.Integer(), nullable=False),
        sa.Column("snapshot_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            "ix_campaigns_owner_status", ["owner_user_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaigns_owner_user_id"), ["owner_user_id"], unique=False
        )
        batch_op.create_index(
            "ix_campaigns_role_candidate_created",
            ["role_id", "candidate_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_campaigns_one_active_per_candidate",
            ["candidate_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('RUNNING', 'WAITING_FOR_CHANNEL')"),
            postgresql_where=sa.text("status IN ('RUNNING', 'WAITING_FOR_CHANNEL')"),
        )

    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "campaign_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "seq", name="uq_campaign_events_seq"),
    )
    op.create_table(
        "campaign_steps",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform_channel_id", sa.Integer(), nullable=True),
        sa.Column("platform_message_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "node_id"),
    )


def downgrade() -> None:
    op.drop_table("campaign_steps")
    op.drop_table("campaign_events")
    op.drop_table("webhook_receipts")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_campaigns_one_active_per_candidate",
            sqlite_where=sa.text("status IN ('RUNNING', 'WAITING_FOR_CHANNEL')"),
            postgresql_where=sa.text("status IN ('RUNNING', 'WAITING_FOR_CHANNEL')"),
        )
        batch_op.drop_index("ix_campaigns_role_candidate_created")
        batch_op.drop_index(batch_op.f("ix_campaigns_owner_user_id"))
        batch_op.drop_index("ix_campaigns_owner_status")
        batch_op.drop_index(batch_op.f("ix_campaigns_candidate_id"))

    op.drop_table("campaigns")
