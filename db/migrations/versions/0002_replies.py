"""replies: a reply webhook is acted on once per platform message; why a campaign waits/ended

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_receipts", sa.Column("message_id", sa.BigInteger(), nullable=True))
    # NULLs are distinct in both databases: channel webhooks (no message) never collide.
    op.create_index(
        "uq_webhook_receipts_message",
        "webhook_receipts",
        ["kind", "channel_id", "message_id"],
        unique=True,
    )
    op.add_column("campaigns", sa.Column("waiting_cause", sa.String(length=16), nullable=True))
    op.add_column("campaigns", sa.Column("end_detail", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("end_detail")
        batch.drop_column("waiting_cause")
    op.drop_index("uq_webhook_receipts_message", table_name="webhook_receipts")
    with op.batch_alter_table("webhook_receipts") as batch:
        batch.drop_column("message_id")
