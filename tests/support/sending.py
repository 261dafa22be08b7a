"""Sending settings for tests about something else than pacing and limits."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.sending_limits import Pacing, SendingSettings
from db.engine import SessionFactory
from db.sending_settings import save_settings

# No gap between two sends of one account: campaigns started together all send at once.
UNPACED = SendingSettings(
    pacing=Pacing(
        linkedin_min_gap_seconds=0,
        linkedin_jitter_seconds=0,
        email_min_gap_seconds=0,
        email_jitter_seconds=0,
    )
)


async def send_without_pacing(sessions: SessionFactory, user_id: int) -> None:
    """Let `user_id`'s campaigns send together: for a test that starts several campaigns of one
    user and is about something else (pacing has its own tests in
    tests/workflows/test_sending_limits.py)."""
    async with sessions() as session, session.begin():
        await save_settings(session, user_id, UNPACED, now=datetime.now(UTC))
