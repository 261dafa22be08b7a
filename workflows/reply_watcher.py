"""ReplyWatcherWorkflow: finds replies whose webhook never arrived, for every active campaign.

One watcher per task queue. Each sweep pages through the active campaigns of the read model
(`check_reply_batch`, a batch of campaigns per activity), then the watcher sleeps for the
interval and continues as new, so its history stays a few dozen events. A reply found is
signalled to the campaign, which halts at once.

Why a watcher and not a timer in every campaign: at 100,000 active campaigns and a 6-hour
interval, a timer plus an activity per campaign costs 800,000 Temporal actions a day and about
a dozen history events per check in every campaign; the watcher costs one activity per batch
(1,000 a sweep at a batch of 100) and nothing in the campaigns' histories. A Temporal Schedule
would do the same job, but the time-skipping test server does not implement schedules, and a
self-continuing workflow runs the same code in tests and in production (docs/replies.md).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from campaigns.contracts import (
        ActivityName,
        ReplyBatchInput,
        ReplyBatchResult,
        ReplyWatchInput,
    )

WATCHER_ID_PREFIX = "reply-watcher-"
BATCH_TIMEOUT = timedelta(minutes=10)
BATCH_HEARTBEAT_TIMEOUT = timedelta(minutes=1)
BATCH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1), maximum_attempts=5
)


def watcher_id(task_queue: str) -> str:
    return f"{WATCHER_ID_PREFIX}{task_queue}"


@workflow.defn(name="ReplyWatcherWorkflow")
class ReplyWatcherWorkflow:
    @workflow.init
    def __init__(self, watch: ReplyWatchInput) -> None:
        self._watch = watch
        self._checked = 0
        self._replies_found = 0

    @workflow.run
    async def run(self, watch: ReplyWatchInput) -> None:
        after = watch.after_candidate_id
        while True:
            try:
                batch: ReplyBatchResult = await workflow.execute_activity(
                    ActivityName.CHECK_REPLY_BATCH,
                    ReplyBatchInput(after_candidate_id=after, limit=self._watch.batch_size),
                    result_type=ReplyBatchResult,
                    start_to_close_timeout=BATCH_TIMEOUT,
                    heartbeat_timeout=BATCH_HEARTBEAT_TIMEOUT,
                    retry_policy=BATCH_RETRY,
                    summary="Check a batch of active campaigns for replies",
                )
            except ActivityError:
                # The platform or the read model is down: the next sweep starts over.
                workflow.logger.warning("Reply sweep stopped early; the next sweep starts over")
                break
            self._checked += batch.checked
            self._replies_found += batch.replies_found
            after = batch.next_after_candidate_id
            if after is None:
                break
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    self._watch.model_copy(update={"after_candidate_id": after})
                )
        await workflow.sleep(
            timedelta(seconds=self._watch.interval_seconds), summary="Wait for the next sweep"
        )
        workflow.continue_as_new(
            self._watch.model_copy(update={"after_candidate_id": None, "sweeps": watch.sweeps + 1})
        )

    @workflow.signal
    def configure(self, watch: ReplyWatchInput) -> None:
        """A (re)started worker's settings; the interval applies from the next sweep on."""
        self._watch = watch.model_copy(update={"after_candidate_id": None, "sweeps": 0})

    @workflow.query
    def sweep_progress(self) -> ReplyBatchResult:
        """Campaigns checked and replies found by this run so far."""
        return ReplyBatchResult(checked=self._checked, replies_found=self._replies_found)
