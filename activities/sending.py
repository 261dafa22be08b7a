"""The send activity: checks the channel and for a reply, then posts the message exactly once.

Temporal runs an activity at least once, so a send must be safe to repeat: the platform gets a
stable `Idempotency-Key`, and a retried attempt first looks in the chat for the message an
earlier attempt may have posted before its answer was lost.

A reply or cancel can stop a send until its POST begins: the activity heartbeats all along,
so the workflow's cancellation reaches it within about a second and it ends as cancelled
(nothing was posted). Once the POST has begun it is finished, not abandoned, so the workflow
learns whether the message went out: SENT, or `POST_OUTCOME_UNKNOWN` when the platform did not
confirm it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.chat_reading import (
    first_reply,
    pick_channel,
    read_chats,
    with_users_auto_reply_action,
)
from campaigns.codes import StepDetail
from campaigns.contracts import (
    ActivityName,
    ReleaseSlotsInput,
    SendMessageInput,
    SendOutcome,
    SendOutcomeKind,
)
from campaigns.definition import CHANNEL_TYPE_OF, ChannelType
from campaigns.sending_limits import Reservation, ReservationStatus, ReserveRequest, WaitReason
from campaigns.status import ReplySource, WaitCause
from db.engine import SessionFactory
from db.send_ledger import ledger_now, release, reserve
from observability.logs import log_context
from observability.worker_metrics import WorkerMetrics
from recruiting_platform import (
    CandidateUnreachable,
    ChannelLoggedOut,
    ChannelUnavailable,
    Message,
    OnBehalfOf,
    PlatformClient,
    PlatformError,
    PlatformNotFound,
    PlatformRejected,
    PlatformUnauthorized,
    PostMessageBody,
    PostMessageResponse,
    RateLimited,
)

# Answers that say the platform refused the POST: nothing was posted, so its slot is freed.
_REFUSED = (
    RateLimited,
    PlatformRejected,
    PlatformNotFound,
    PlatformUnauthorized,
    CandidateUnreachable,
    ChannelLoggedOut,
    ChannelUnavailable,
)
_WAIT_CAUSE_OF: dict[WaitReason, WaitCause] = {
    WaitReason.WINDOW_CLOSED: WaitCause.WINDOW_CLOSED,
    WaitReason.DAILY_LIMIT: WaitCause.DAILY_LIMIT,
    WaitReason.WEEKLY_LIMIT: WaitCause.WEEKLY_LIMIT,
    WaitReason.PACING: WaitCause.PACING,
}

# A stopped send whose POST had begun but was not confirmed: it may have reached the candidate.
POST_OUTCOME_UNKNOWN = "PostOutcomeUnknown"
# How often the activity heartbeats; the worker sends at most one heartbeat a second, so a
# stop reaches a running send within about a second.
HEARTBEAT_EVERY_SECONDS = 0.5


@contextlib.asynccontextmanager
async def heartbeating(phase: list[str]) -> AsyncIterator[None]:
    """Heartbeat `phase[0]` ("checking", then "posting") in the background until the block
    ends: a cancellation requested by the workflow arrives in a heartbeat's answer, and an
    operator sees in the Web UI whether a send had reached its POST."""

    async def beat() -> None:
        while True:
            activity.heartbeat(phase[0])
            await asyncio.sleep(HEARTBEAT_EVERY_SECONDS)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class SendingActivities:
    def __init__(
        self,
        platform: PlatformClient,
        sessions: SessionFactory,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self._platform = platform
        self._sessions = sessions
        self._metrics = metrics or WorkerMetrics()

    @activity.defn(name=ActivityName.RELEASE_SEND_SLOTS)
    async def release_send_slots(self, request: ReleaseSlotsInput) -> int:
        """Free the slots an ended campaign still has booked ahead, for other campaigns."""
        now = ledger_now(activity.info().current_attempt_scheduled_time)
        return await release(self._sessions, request.campaign_id, now=now)

    @activity.defn(name=ActivityName.SEND_MESSAGE)
    async def send_message(self, request: SendMessageInput) -> SendOutcome:
        with log_context(campaign_id=request.campaign_id, node_id=request.node_id):
            outcome = await self._send_and_classify(request)
        self._metrics.count_send(request.channel, outcome.kind)
        return outcome

    async def _send_and_classify(self, request: SendMessageInput) -> SendOutcome:
        phase = ["checking"]
        try:
            async with heartbeating(phase):
                return await self._send(request, phase)
        except RateLimited as error:
            delay = timedelta(seconds=error.retry_after_seconds or 0) or None
            raise ApplicationError(
                "platform rate limit", type="RateLimited", next_retry_delay=delay
            ) from error
        except CandidateUnreachable:
            return SendOutcome(
                kind=SendOutcomeKind.CANDIDATE_UNREACHABLE, detail_code=StepDetail.NO_CONTACT
            )
        except PlatformNotFound:
            return SendOutcome(
                kind=SendOutcomeKind.CANDIDATE_UNREACHABLE,
                detail_code=StepDetail.CANDIDATE_NOT_FOUND,
            )
        except ChannelLoggedOut:
            return SendOutcome(kind=SendOutcomeKind.CHANNEL_LOGGED_OUT)
        except ChannelUnavailable:
            if request.report_channel_errors:
                return SendOutcome(kind=SendOutcomeKind.CHANNEL_ERROR)
            activity.logger.info("Send of node %s: channel in ERROR; will retry", request.node_id)
            raise
        except PlatformUnauthorized:
            # Our service token was revoked or is wrong: no retry fixes it, an operator must.
            activity.logger.error(
                "ALERT: the platform refused the service credentials (campaign %s, node %s); "
                "check PLATFORM_SERVICE_TOKEN",
                request.campaign_id,
                request.node_id,
            )
            if request.report_channel_errors:
                return SendOutcome(kind=SendOutcomeKind.PLATFORM_UNAUTHORIZED)
            raise
        except PlatformRejected as error:
            return SendOutcome(kind=SendOutcomeKind.REJECTED, detail=_reason(error))
        except PlatformError as error:
            # 5xx, timeouts: Temporal retries on the channel's policy.
            activity.logger.info(
                "Send of node %s failed (%s); will retry", request.node_id, type(error).__name__
            )
            raise

    async def _send(self, request: SendMessageInput, phase: list[str]) -> SendOutcome:
        owner = OnBehalfOf(request.owner_user_id)
        channels = await self._platform.list_channels(owner)
        wanted = CHANNEL_TYPE_OF[request.channel].value
        channel = pick_channel([c for c in channels if c.type == wanted])
        if channel is not None and channel.status == "ERROR" and not request.report_channel_errors:
            raise ChannelUnavailable(f"channel {channel.id} reports status ERROR")
        if channel is None or channel.status in ("ERROR_CREDENTIALS", "ERROR"):
            # Waiting for a channel is pointless for a candidate it cannot reach anyway.
            if not await self._has_contact(request):
                raise CandidateUnreachable("the candidate has no address on this channel")
            if channel is None:
                return SendOutcome(kind=SendOutcomeKind.NO_CHANNEL)
            if channel.status == "ERROR_CREDENTIALS":
                return SendOutcome(kind=SendOutcomeKind.CHANNEL_LOGGED_OUT, channel_id=channel.id)
            raise ChannelUnavailable(f"channel {channel.id} reports status ERROR")

        # Each chat is read once per attempt: for the reply check and, on a retry, for the
        # message an earlier attempt may have posted.
        retry = activity.info().attempt > 1 or request.previous_attempts > 0
        same_type = [c.id for c in channels if c.type == wanted]
        chats, _ = await read_chats(
            self._platform,
            request.owner_user_id,
            request.candidate_id,
            channels,
            must_read=frozenset(same_type) if retry else frozenset(),
        )
        reply = first_reply(
            chats,
            request.candidate_id,
            since=request.campaign_started_at,
            source=ReplySource.PRE_SEND_CHECK,
            handled_auto_replies=request.handled_auto_replies,
        )
        if reply is not None:
            reply = await with_users_auto_reply_action(self._sessions, request.owner_user_id, reply)
            return SendOutcome(kind=SendOutcomeKind.REPLY_DETECTED, reply=reply)

        if retry:
            # An earlier attempt may have posted before its answer was lost, possibly through
            # another connected channel of the same type.
            earlier = _earlier_send(request, {c: chats[c] for c in same_type if c in chats})
            if earlier is not None:
                earlier_channel, message = earlier
                return SendOutcome(
                    kind=SendOutcomeKind.SENT,
                    channel_id=earlier_channel,
                    message_id=message.id,
                    sent_at=message.sentAt,
                )

        if request.reserve_slot:
            # The slot is booked after every check, right before the POST: a send that finds
            # no channel or a reply books nothing, and one that waits is checked again when
            # its slot comes.
            reservation = await self._reserve(request)
            if reservation.status is not ReservationStatus.READY:
                return _slot_outcome(reservation)
            try:
                await asyncio.sleep(reservation.wait.total_seconds())
            except asyncio.CancelledError:
                await self._free_slot(request)  # stopped before the POST: nothing was sent
                raise

        # From here on a stop no longer prevents the message: the POST is finished (shielded
        # from cancellation) so that the campaign knows whether the candidate got it.
        phase[0] = "posting"
        activity.heartbeat(phase[0])
        post = asyncio.ensure_future(
            self._timed(
                request,
                self._platform.post_message(
                    owner,
                    channel_id=channel.id,
                    candidate_id=request.candidate_id,
                    body=PostMessageBody(body=request.body, subject=request.subject),
                    idempotency_key=request.idempotency_key,
                ),
            )
        )
        try:
            posted = await asyncio.shield(post)
        except asyncio.CancelledError:
            posted = await _finish_post_after_stop(post)
        except _REFUSED:
            # The platform answered and refused: nothing was posted, the slot goes back. (A 5xx
            # or a timeout may have posted: its slot stays counted.)
            if request.reserve_slot:
                await self._free_slot(request)
            raise
        activity.logger.info(
            "Sent node %s as platform message %s", request.node_id, posted.messageId
        )
        return SendOutcome(
            kind=SendOutcomeKind.SENT,
            channel_id=channel.id,
            message_id=posted.messageId,
            sent_at=datetime.now(UTC),
        )

    async def _timed(
        self, request: SendMessageInput, post: Awaitable[PostMessageResponse]
    ) -> PostMessageResponse:
        """The POST, timed whatever its answer (a refusal or a timeout takes time too)."""
        started = time.perf_counter()
        try:
            return await post
        finally:
            self._metrics.send_duration.labels(request.channel.value).observe(
                time.perf_counter() - started
            )

    async def _reserve(self, request: SendMessageInput) -> Reservation:
        info = activity.info()
        return await reserve(
            self._sessions,
            ReserveRequest(
                campaign_id=request.campaign_id,
                node_id=request.node_id,
                user_id=request.owner_user_id,
                channel=request.channel,
                not_after=request.not_after,
                schedule=request.send_window,
                earlier_attempt_may_have_sent=info.attempt > 1,
                pacing_scale=request.time_scale,
            ),
            now=ledger_now(info.current_attempt_scheduled_time),
        )

    async def _free_slot(self, request: SendMessageInput) -> None:
        now = ledger_now(activity.info().current_attempt_scheduled_time)
        await release(
            self._sessions, request.campaign_id, node_id=request.node_id, now=now, sent_nothing=True
        )

    async def _has_contact(self, request: SendMessageInput) -> bool:
        """Does the candidate have an address of the channel's type? True when unknown."""
        if request.role_id is None:
            return True
        candidates = await self._platform.list_candidates(
            OnBehalfOf(request.owner_user_id), request.role_id
        )
        candidate = next((c for c in candidates if c.id == request.candidate_id), None)
        if candidate is None:
            raise PlatformNotFound("the candidate is no longer in the role")
        if CHANNEL_TYPE_OF[request.channel] is ChannelType.EMAIL:
            return bool(candidate.email)
        return bool(candidate.linkedin)


async def _finish_post_after_stop(post: asyncio.Future[PostMessageResponse]) -> PostMessageResponse:
    """The campaign stopped during the POST: wait for the platform's answer. Without one the
    message may or may not be there, and no retry may find out: the workflow is stopping."""
    try:
        return await post
    except PlatformError as error:
        raise ApplicationError(
            f"The campaign stopped while the message was being posted ({type(error).__name__})",
            type=POST_OUTCOME_UNKNOWN,
            non_retryable=True,
            category=ApplicationErrorCategory.BENIGN,
        ) from None


def _earlier_send(
    request: SendMessageInput, chats: dict[int, list[Message]]
) -> tuple[int, Message] | None:
    """This step's message, if an earlier attempt already posted it during this campaign."""
    for channel_id, messages in chats.items():
        for message in messages:
            if (
                message.from_ == request.owner_user_id
                and message.body == request.body
                and (message.subject or None) == (request.subject or None)
                and (message.sentAt is None or message.sentAt >= request.campaign_started_at)
            ):
                return channel_id, message
    return None


def _slot_outcome(reservation: Reservation) -> SendOutcome:
    """What the workflow hears when the ledger says not now: wait for the slot, or no slot."""
    cause = _WAIT_CAUSE_OF[reservation.reason] if reservation.reason else None
    if reservation.status is ReservationStatus.NO_SLOT:
        return SendOutcome(
            kind=SendOutcomeKind.NO_SLOT, detail_code=StepDetail.NO_SLOT, wait_cause=cause
        )
    return SendOutcome(
        kind=SendOutcomeKind.WAIT_FOR_SLOT,
        slot_at=reservation.send_at,
        wait_cause=cause,
        time_zone=reservation.time_zone,
    )


def _reason(error: PlatformError) -> str:
    return str(error)[:300]
