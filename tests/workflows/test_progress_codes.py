"""The workflow keeps codes, not sentences: every snapshot it records of the brief's example
holds codes (worded only by the API and the dashboard), so a wording change or a translation
never touches a running campaign."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.recording import RecordingActivities
from activities.reply_checks import ReplyCheckActivities
from activities.sending import SendingActivities
from campaigns.codes import LastAction, NextAction
from campaigns.contracts import ActivityName, RecordProgressInput
from campaigns.status import CampaignStatus
from db.engine import SessionFactory
from recruiting_platform import PlatformClient
from tests.support.campaigns import campaign_input, start_campaign
from workflows.campaign import CampaignWorkflow


class KeepingRecorder(RecordingActivities):
    """Records as in production and keeps every snapshot for the test."""

    def __init__(self, sessions: SessionFactory) -> None:
        super().__init__(sessions)
        self.snapshots: list[RecordProgressInput] = []

    @activity.defn(name=ActivityName.RECORD_PROGRESS)
    async def record_progress(self, record: RecordProgressInput) -> None:
        self.snapshots.append(record)
        await super().record_progress(record)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


async def test_every_recorded_progress_of_the_brief_example_holds_codes_not_sentences(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sqlite_sessions: SessionFactory,
) -> None:
    recorder = KeepingRecorder(sqlite_sessions)
    sending = SendingActivities(platform, sqlite_sessions)
    replies = ReplyCheckActivities(platform, sqlite_sessions, temporal_env.client)
    async with Worker(
        temporal_env.client,
        task_queue=task_queue,
        workflows=[CampaignWorkflow],
        activities=[
            sending.send_message,
            sending.release_send_slots,
            recorder.record_progress,
            replies.find_reply,
        ],
    ):
        handle = await start_campaign(temporal_env.client, campaign_input(), task_queue)
        final = await handle.result()

    assert final.status is CampaignStatus.COMPLETED
    progresses = [snapshot.progress for snapshot in recorder.snapshots]
    assert {p.next_action for p in progresses} == {
        None,
        NextAction.SEND,
        NextAction.END_IF_NO_REPLY,
    }
    assert {p.last_action for p in progresses} >= {LastAction.SENT}
    for progress in progresses:
        assert progress.next_action is None or isinstance(progress.next_action, NextAction)
        assert progress.last_action is None or isinstance(progress.last_action, LastAction)
        for step in progress.steps:
            assert step.detail is None, step  # no words of ours; a platform refusal only
        # No sentence anywhere: every string of the state is a code or an id.
        sentences = [s for s in _strings(progress.model_dump()) if " " in s]
        assert sentences == [], sentences
