"""Looking for replies without the platform's webhook.

- `find_reply`: one campaign's chats, read once more right before it would end as NO_REPLY.
- `check_reply_batch`: the reply watcher's sweep, one page of active campaigns per call; a reply
  found is signalled to its campaign's run, which decides whether it counts (sent at or after
  that campaign's start) and halts.

Both need only ids and times: the message texts are read and dropped here, never returned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import Row
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.chat_reading import first_reply, read_chats, with_users_auto_reply_action
from campaigns.contracts import (
    ActivityName,
    FindReplyInput,
    FindReplyResult,
    ReplyBatchInput,
    ReplyBatchResult,
)
from campaigns.status import ReplySource
from db import campaign_queries
from db.engine import SessionFactory
from observability.logs import log_context
from recruiting_platform import (
    Channel,
    OnBehalfOf,
    PlatformClient,
    PlatformError,
    PlatformUnauthorized,
)

logger = logging.getLogger(__name__)

# Campaigns of one batch checked at once: bounds the load the sweep puts on the platform (each
# check reads the candidate's chat on every channel of the owner at once, so the platform sees
# up to this many times the owner's channels in concurrent reads).
CONCURRENT_CHECKS = 8
# The workflow's reply signal (by name, so this module needs no workflow import).
REPLY_SIGNAL = "reply"


class ReplyCheckActivities:
    def __init__(
        self, platform: PlatformClient, sessions: SessionFactory, temporal: Client
    ) -> None:
        self._platform = platform
        self._sessions = sessions
        self._temporal = temporal

    @activity.defn(name=ActivityName.FIND_REPLY)
    async def find_reply(self, request: FindReplyInput) -> FindReplyResult:
        """The candidate's reply in [since, until], if any. A channel that is down (not logged
        out) fails the attempt, so Temporal retries until it can be read."""
        channels = await self._platform.list_channels(OnBehalfOf(request.owner_user_id))
        readable = frozenset(c.id for c in channels if c.status != "ERROR_CREDENTIALS")
        chats, _ = await read_chats(
            self._platform,
            request.owner_user_id,
            request.candidate_id,
            channels,
            must_read=readable,
        )
        reply = first_reply(
            chats,
            request.candidate_id,
            since=request.since,
            until=request.until,
            source=request.source,
            handled_auto_replies=request.handled_auto_replies,
        )
        if reply is not None:
            reply = await with_users_auto_reply_action(self._sessions, request.owner_user_id, reply)
        return FindReplyResult(reply=reply)

    @activity.defn(name=ActivityName.CHECK_REPLY_BATCH)
    async def check_reply_batch(self, request: ReplyBatchInput) -> ReplyBatchResult:
        """Check one page of active campaigns (ordered by candidate) for a reply."""
        async with self._sessions() as session:
            campaigns = await campaign_queries.active_page(
                session, request.after_candidate_id, request.limit
            )
        owners: dict[int, asyncio.Task[list[Channel]]] = {}
        limit = asyncio.Semaphore(CONCURRENT_CHECKS)
        outcomes: list[str] = []

        def channels_of(owner_user_id: int) -> asyncio.Task[list[Channel]]:
            # One channel listing per owner per batch, shared by that owner's campaigns.
            if owner_user_id not in owners:
                owners[owner_user_id] = asyncio.ensure_future(
                    self._platform.list_channels(OnBehalfOf(owner_user_id))
                )
            return owners[owner_user_id]

        async def check(campaign: Row) -> None:
            async with limit:
                activity.heartbeat(campaign.candidate_id)
                with log_context(campaign_id=campaign.id):
                    outcomes.append(await self._check_one(campaign, channels_of))

        await asyncio.gather(*(check(campaign) for campaign in campaigns))
        for task in owners.values():
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: a failed listing was counted as unreadable
        return ReplyBatchResult(
            checked=len(campaigns),
            replies_found=outcomes.count("reply"),
            unreadable=outcomes.count("unreadable"),
            next_after_candidate_id=(
                campaigns[-1].candidate_id if len(campaigns) == request.limit else None
            ),
        )

    async def _check_one(
        self, campaign: Row, channels_of: Callable[[int], asyncio.Task[list[Channel]]]
    ) -> str:
        try:
            channels = await channels_of(campaign.owner_user_id)
            chats, _ = await read_chats(
                self._platform, campaign.owner_user_id, campaign.candidate_id, channels
            )
        except PlatformUnauthorized:
            activity.logger.error(
                "ALERT: the platform refused the service credentials while checking campaign "
                "%s for replies; check PLATFORM_SERVICE_TOKEN",
                campaign.id,
            )
            return "unreadable"
        except PlatformError as error:
            activity.logger.info(
                "Reply check of campaign %s: chats unreadable (%s)",
                campaign.id,
                type(error).__name__,
            )
            return "unreadable"
        reply = first_reply(
            chats, campaign.candidate_id, since=campaign.started_at, source=ReplySource.REPLY_CHECK
        )
        if reply is None:
            return "none"
        reply = await with_users_auto_reply_action(self._sessions, campaign.owner_user_id, reply)
        handle = self._temporal.get_workflow_handle(campaign.workflow_id, run_id=campaign.run_id)
        try:
            await handle.signal(REPLY_SIGNAL, reply)
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:
                raise  # Temporal trouble: the batch is retried
            return "none"  # the campaign ended meanwhile
        activity.logger.info("Reply check found a reply for campaign %s", campaign.id)
        return "reply"
