"""EventDelivererWorkflow: the one deliverer of events out to the platform, per task queue.

Its workflow id makes it a singleton: every worker starts it with signal-with-start
(`worker.py::ensure_event_deliverer`), which also hands a running one a changed URL or
timing. Each run starts one long, heartbeating delivery activity (activities/event_delivery.py)
and continues as new when it returns, so its history stays a handful of events: a quiet
deployment costs about two activity actions per `run_seconds` (10 min), however many events go.

Campaigns never wait for it: they only write their timeline to the read model, which the
activity reads (docs/events.md).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from campaigns.outbound_events import (
        DELIVER_EVENTS_ACTIVITY,
        DeliveryRunResult,
        EventFeedInput,
    )

DELIVERER_ID_PREFIX = "event-deliverer-"
HEARTBEAT_TIMEOUT = timedelta(minutes=1)
# Beyond its own run time, how long an activity may take to finish its last pass.
RUN_MARGIN = timedelta(minutes=5)
# A crashed or lost activity (the worker died, the database is down) is started again; the
# outbox keeps every event meanwhile.
RUN_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=2)
)
# After a failure no retry fixes (no signing secret), wait this long or for a new configuration.
BROKEN_WAIT = timedelta(minutes=10)


def deliverer_id(task_queue: str) -> str:
    return f"{DELIVERER_ID_PREFIX}{task_queue}"


@workflow.defn(name="EventDelivererWorkflow")
class EventDelivererWorkflow:
    @workflow.init
    def __init__(self, feed: EventFeedInput) -> None:
        self._feed = feed
        self._reconfigured = False
        self._done = DeliveryRunResult()

    @workflow.run
    async def run(self, feed: EventFeedInput) -> None:
        if not self._feed.webhook_url:
            await workflow.wait_condition(lambda: self._reconfigured)
        else:
            await self._deliver()
        workflow.continue_as_new(self._feed.model_copy(update={"runs": self._feed.runs + 1}))

    async def _deliver(self) -> None:
        run = workflow.start_activity(
            DELIVER_EVENTS_ACTIVITY,
            self._feed,
            result_type=DeliveryRunResult,
            start_to_close_timeout=timedelta(seconds=self._feed.run_seconds) + RUN_MARGIN,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RUN_RETRY,
            summary="Deliver events to the platform",
        )
        await workflow.wait_condition(lambda: run.done() or self._reconfigured)
        if not run.done():
            run.cancel()  # the new URL or timing applies from the next run on
        try:
            self._done = await run
        except ActivityError:
            if not self._reconfigured:
                workflow.logger.error("Event delivery stopped; check EVENTS_WEBHOOK_SECRET")
                try:
                    await workflow.wait_condition(lambda: self._reconfigured, timeout=BROKEN_WAIT)
                except TimeoutError:
                    pass  # try again in a new run

    @workflow.signal
    def configure(self, feed: EventFeedInput) -> None:
        """A (re)started worker's settings."""
        if feed.model_copy(update={"runs": 0}) != self._feed.model_copy(update={"runs": 0}):
            self._feed = feed.model_copy(update={"runs": self._feed.runs})
            self._reconfigured = True

    @workflow.query
    def last_run(self) -> DeliveryRunResult:
        """What the last finished delivery activity of this run did."""
        return self._done
