"""paused is active: a PAUSED campaign still holds its candidate

A paused campaign is resumed later, so it still counts as the candidate's one active campaign:
the partial unique index covers PAUSED too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "uq_campaigns_one_active_per_candidate"
_BEFORE = "status IN ('RUNNING', 'WAITING_FOR_CHANNEL')"
_AFTER = "status IN ('PAUSED', 'RUNNING', 'WAITING_FOR_CHANNEL')"


def _one_active_index(where: str) -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_index(_INDEX)
        batch.create_index(
            _INDEX,
            ["candidate_id"],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def upgrade() -> None:
    _one_active_index(_AFTER)


def downgrade() -> None:
    _one_active_index(_BEFORE)
