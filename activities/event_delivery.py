"""The deliverer's activity: queues new timeline events and posts them, signed, to the
platform's endpoint, in order per campaign, until the run's time is up (docs/events.md).

One long-running, heartbeating activity rather than one per batch: while nothing happens it
polls the read model every `poll_seconds` for free (no Temporal action), and while the
endpoint fails it backs off exponentially up to `retry_max_seconds`, in this process.
Delivery is at least once: an event is marked delivered after the endpoint's 2xx, so a crash
in between sends it again with the same id; receivers dedupe by id.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from campaigns.outbound_events import DELIVER_EVENTS_ACTIVITY, DeliveryRunResult, EventFeedInput
from db import event_outbox
from db.engine import SessionFactory
from db.event_outbox_models import OutboundEvent
from webhook_signature import expected_signature

# A row of campaign_events whose id was handed out but not yet committed is committed (or rolled
# back) within the recording activity's 30-second timeout; a scan floor only moves past ids
# seen this long ago, so a late commit is never skipped.
SETTLE = timedelta(minutes=2)
POST_TIMEOUT_SECONDS = 10.0
CONCURRENT_CAMPAIGNS = 8  # campaigns posted at once; one campaign's events go one by one
HEARTBEAT_EVERY_SECONDS = 5.0


class EventDeliveryActivities:
    def __init__(self, sessions: SessionFactory, *, secret: str | None) -> None:
        self._sessions = sessions
        self._secret = secret

    @activity.defn(name=DELIVER_EVENTS_ACTIVITY)
    async def deliver_events(self, feed: EventFeedInput) -> DeliveryRunResult:
        """Queue and deliver for `run_seconds`, then return what was done."""
        if not self._secret:
            raise ApplicationError(
                "EVENTS_WEBHOOK_SECRET is not set on this worker", non_retryable=True
            )
        result = DeliveryRunResult()
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + feed.run_seconds
        async with self._sessions() as session:
            floor = await event_outbox.settled_floor(session, datetime.now(UTC) - SETTLE)
        # (when seen, newest campaign_events id then): the floor follows once it has settled.
        seen: deque[tuple[float, int]] = deque()
        backoff = 0.0
        async with httpx.AsyncClient(timeout=POST_TIMEOUT_SECONDS) as http:
            while loop.time() < ends_at and not activity.is_worker_shutdown():
                activity.heartbeat(result.model_dump())
                floor = self._settle(seen, floor, loop.time())
                async with self._sessions() as session:
                    seen.append((loop.time(), await event_outbox.newest_event_row_id(session)))
                    queued = await event_outbox.queue_new_events(
                        session, after_row_id=floor, limit=feed.batch_size, now=datetime.now(UTC)
                    )
                    pending = await event_outbox.undelivered(session, feed.batch_size)
                delivered, failed = await self._deliver(http, feed.webhook_url, pending)
                result = DeliveryRunResult(
                    queued=result.queued + queued,
                    delivered=result.delivered + delivered,
                    failed_attempts=result.failed_attempts + failed,
                )
                if failed:
                    # The endpoint is down or refusing: wait longer each time, up to the cap.
                    backoff = min(
                        feed.retry_max_seconds, max(backoff * 2, feed.retry_initial_seconds)
                    )
                    activity.logger.info("Next event delivery try in %.1f s", backoff)
                    await self._pause(min(ends_at - loop.time(), backoff))
                    continue
                backoff = 0.0
                if len(pending) < feed.batch_size and queued < feed.batch_size:
                    await self._pause(min(ends_at - loop.time(), feed.poll_seconds))
        return result

    @staticmethod
    def _settle(seen: deque[tuple[float, int]], floor: int, now: float) -> int:
        while seen and now - seen[0][0] >= SETTLE.total_seconds():
            floor = max(floor, seen.popleft()[1])
        return floor

    @staticmethod
    async def _pause(seconds: float) -> None:
        """Sleep, heartbeating, so that a cancel (a new configuration) arrives meanwhile; a
        worker shutting down (a deploy) ends it at once, and the run with it."""
        ends_at = time.monotonic() + max(0.0, seconds)
        while (left := ends_at - time.monotonic()) > 0 and not activity.is_worker_shutdown():
            try:
                await asyncio.wait_for(
                    activity.wait_for_worker_shutdown(), min(left, HEARTBEAT_EVERY_SECONDS)
                )
            except TimeoutError:
                activity.heartbeat()

    async def _deliver(
        self, http: httpx.AsyncClient, url: str, pending: Sequence[OutboundEvent]
    ) -> tuple[int, int]:
        """Post each campaign's events in order, campaigns side by side; a campaign stops at
        its first refused event, so none overtakes it. Returns (delivered, failed).

        Failures are logged, not written: while the endpoint is down the deliverer adds no
        writes to the read model's database (SQLite has one writer for everything)."""
        limit = asyncio.Semaphore(CONCURRENT_CAMPAIGNS)
        accepted: list[int] = []
        failures: list[str] = []

        async def one_campaign(events: list[OutboundEvent]) -> None:
            async with limit:
                for event in events:
                    error = await self._post(http, url, event.payload)
                    if error is not None:
                        failures.append(error)
                        break
                    accepted.append(event.id or 0)

        by_campaign = groupby(
            sorted(pending, key=lambda e: (e.campaign_id, e.seq)), key=lambda e: e.campaign_id
        )
        await asyncio.gather(*(one_campaign(list(events)) for _, events in by_campaign))
        async with self._sessions() as session:
            await event_outbox.mark_delivered(session, accepted, datetime.now(UTC))
        if failures:
            activity.logger.warning(
                "%d event deliveries refused (%s)", len(failures), ", ".join(sorted(set(failures)))
            )
        return len(accepted), len(failures)

    async def _post(self, http: httpx.AsyncClient, url: str, payload: dict[str, Any]) -> str | None:
        """None when the endpoint accepted the event (2xx), else why not."""
        assert self._secret is not None
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Event-Id": payload["id"],
            "X-Signature-Timestamp": timestamp,
            "X-Signature": expected_signature(self._secret, timestamp, body),
        }
        try:
            response = await http.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return type(error).__name__
        if response.is_success:
            return None
        return f"HTTP {response.status_code}"
