"""The recording activity: projects a campaign's snapshot into the read model."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from campaigns.contracts import ActivityName, EventKind, RecordProgressInput
from campaigns.status import EndReason
from db.campaign_store import apply_snapshot
from db.engine import SessionFactory
from observability.logs import log_context
from observability.worker_metrics import WorkerMetrics


class RecordingActivities:
    def __init__(self, sessions: SessionFactory, metrics: WorkerMetrics | None = None) -> None:
        self._sessions = sessions
        self._metrics = metrics or WorkerMetrics()

    @activity.defn(name=ActivityName.RECORD_PROGRESS)
    async def record_progress(self, record: RecordProgressInput) -> None:
        with log_context(campaign_id=record.progress.campaign_id):
            async with self._sessions() as session:
                await apply_snapshot(session, record, now=datetime.now(UTC))
            self._observe_reply_to_halt(record)

    def _observe_reply_to_halt(self, record: RecordProgressInput) -> None:
        """The snapshot that carries a REPLIED end (its ENDED event) times reply to halt. (A
        retry of this activity after the write would count it again; that is rare.)"""
        progress, reply = record.progress, record.progress.reply
        if (
            progress.end_reason is EndReason.REPLIED
            and any(event.kind is EventKind.ENDED for event in record.new_events)
            and reply is not None
            and reply.received_at is not None
            and progress.ended_at is not None
        ):
            seconds = (progress.ended_at - reply.received_at).total_seconds()
            self._metrics.observe_reply_to_halt(reply.source, seconds)
