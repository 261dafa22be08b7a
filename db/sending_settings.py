"""A user's sending settings: one JSON row per user who saved any; the defaults otherwise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.sending_limits import SendingSettings
from db.ledger_models import SendingSettingsRow
from db.upsert import insert_for

# Read by every booking of a send: the table, not the ORM class (see db/send_ledger.py).
SETTINGS = SendingSettingsRow.__table__
# Built once, as the ledger's statements are: one built per call costs its construction and
# its cache key every time.
_USERS_SETTINGS = select(SETTINGS.c.settings, SETTINGS.c.updated_at).where(
    SETTINGS.c.user_id == bindparam("user_id")
)


async def load_settings(
    session: AsyncSession, user_id: int
) -> tuple[SendingSettings, datetime | None]:
    """The user's settings and when they were saved; the defaults and None when never saved.

    Fields added to `SendingSettings` since a row was saved take their defaults."""
    row = (await session.execute(_USERS_SETTINGS, {"user_id": user_id})).first()
    if row is None:
        return SendingSettings(), None
    return SendingSettings.model_validate(row.settings), row.updated_at


async def save_settings(
    session: AsyncSession, user_id: int, settings: SendingSettings, *, now: datetime
) -> None:
    """Replace the user's settings (the caller commits)."""
    values = {"settings": settings.model_dump(mode="json", by_alias=True), "updated_at": now}
    statement = insert_for(session, SendingSettingsRow).values(user_id=user_id, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))
