"""progress codes: the parameters of the codes a campaign's progress now stores

The workflow stores codes instead of sentences (`campaigns/codes.py`) in the same columns
(`next_action`, `last_action`, `waiting_reason`, `end_detail`, a step's `detail`); rows recorded
before keep their English, which the presenters show as it is. `waiting_cause` is widened: a
16-character column could not hold PLATFORM_UNAUTHORIZED on PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("next_action_channel", sa.String(32), nullable=True))
    op.add_column("campaigns", sa.Column("last_action_channel", sa.String(32), nullable=True))
    op.add_column("campaigns", sa.Column("waiting_channel", sa.String(32), nullable=True))
    op.add_column("campaigns", sa.Column("waiting_time_zone", sa.String(64), nullable=True))
    with op.batch_alter_table("campaigns") as batch:
        batch.alter_column(
            "waiting_cause", type_=sa.String(32), existing_type=sa.String(16), nullable=True
        )
    op.add_column("campaign_steps", sa.Column("detail_cause", sa.String(32), nullable=True))
    op.add_column("campaign_steps", sa.Column("detail_time_zone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_steps") as batch:
        batch.drop_column("detail_time_zone")
        batch.drop_column("detail_cause")
    with op.batch_alter_table("campaigns") as batch:
        batch.alter_column(
            "waiting_cause", type_=sa.String(16), existing_type=sa.String(32), nullable=True
        )
        batch.drop_column("waiting_time_zone")
        batch.drop_column("waiting_channel")
        batch.drop_column("last_action_channel")
        batch.drop_column("next_action_channel")
