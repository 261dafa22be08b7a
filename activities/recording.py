"""The recording activity: projects a campaign's snapshot into the read model."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from campaigns.contracts import ActivityName, RecordProgressInput
from db.campaign_store import apply_snapshot
from db.engine import SessionFactory


class RecordingActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name=ActivityName.RECORD_PROGRESS)
    async def record_progress(self, record: RecordProgressInput) -> None:
        async with self._sessions() as session:
            await apply_snapshot(session, record, now=datetime.now(UTC))
