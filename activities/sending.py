"""The send activity: checks the channel and for a reply, then posts the message exactly once.

Temporal runs an activity at least once, so a send must be safe to repeat: the platform gets a
stable `Idempotency-Key`, and a retried attempt first looks in the chat for the message an
earlier attempt may have posted before its answer was lost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from campaigns.contracts import ReplyReceived, SendMessageInput, SendOutcome, SendOutcomeKind
from campaigns.definition import CHANNEL_TYPE_OF, ChannelType
from recruiting_platform import (
    CandidateUnreachable,
    Channel,
    ChannelLoggedOut,
    ChannelUnavailable,
    Message,
    OnBehalfOf,
    PlatformClient,
    PlatformError,
    PlatformNotFound,
    PlatformRejected,
    PostMessageBody,
    RateLimited,
)

_MISSING_CONTACT = {
    ChannelType.EMAIL: "Skipped: the candidate has no email address",
    ChannelType.LINKEDIN: "Skipped: the candidate has no LinkedIn profile",
}


class SendingActivities:
    def __init__(self, platform: PlatformClient) -> None:
        self._platform = platform

    @activity.defn(name="send_message")
    async def send_message(self, request: SendMessageInput) -> SendOutcome:
        try:
            return await self._send(request)
        except RateLimited as error:
            delay = timedelta(seconds=error.retry_after_seconds or 0) or None
            raise ApplicationError(
                "platform rate limit", type="RateLimited", next_retry_delay=delay
            ) from error
        except CandidateUnreachable:
            missing = _MISSING_CONTACT[CHANNEL_TYPE_OF[request.channel]]
            return SendOutcome(kind=SendOutcomeKind.CANDIDATE_UNREACHABLE, detail=missing)
        except PlatformNotFound:
            return SendOutcome(
                kind=SendOutcomeKind.CANDIDATE_UNREACHABLE,
                detail="Candidate not found on the platform",
            )
        except ChannelLoggedOut:
            return SendOutcome(kind=SendOutcomeKind.CHANNEL_LOGGED_OUT)
        except PlatformRejected as error:
            return SendOutcome(kind=SendOutcomeKind.REJECTED, detail=_reason(error))
        except PlatformError as error:
            # 5xx, timeouts, channel status ERROR: Temporal retries on the channel's policy.
            activity.logger.info(
                "Send of node %s failed (%s); will retry", request.node_id, type(error).__name__
            )
            raise

    async def _send(self, request: SendMessageInput) -> SendOutcome:
        owner = OnBehalfOf(request.owner_user_id)
        channels = await self._platform.list_channels(owner)
        wanted = CHANNEL_TYPE_OF[request.channel].value
        channel = _pick_channel([c for c in channels if c.type == wanted])
        if channel is None or channel.status == "ERROR_CREDENTIALS":
            # Waiting for a channel is pointless for a candidate it cannot reach anyway.
            if not await self._has_contact(request):
                raise CandidateUnreachable("the candidate has no address on this channel")
            if channel is None:
                return SendOutcome(kind=SendOutcomeKind.NO_CHANNEL)
            return SendOutcome(kind=SendOutcomeKind.CHANNEL_LOGGED_OUT, channel_id=channel.id)
        if channel.status == "ERROR":
            raise ChannelUnavailable(f"channel {channel.id} reports status ERROR")

        # Each chat is read once per attempt: for the reply check and, on a retry, for the
        # message an earlier attempt may have posted.
        retry = activity.info().attempt > 1
        same_type = [c.id for c in channels if c.type == wanted]
        chats = await self._read_chats(
            request, channels, must_read=set(same_type) if retry else set()
        )
        reply = _first_reply(request, chats)
        if reply is not None:
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

        posted = await self._platform.post_message(
            owner,
            channel_id=channel.id,
            candidate_id=request.candidate_id,
            body=PostMessageBody(body=request.body, subject=request.subject),
            idempotency_key=request.idempotency_key,
        )
        activity.logger.info(
            "Sent node %s as platform message %s", request.node_id, posted.messageId
        )
        return SendOutcome(
            kind=SendOutcomeKind.SENT,
            channel_id=channel.id,
            message_id=posted.messageId,
            sent_at=datetime.now(UTC),
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

    async def _read_chats(
        self, request: SendMessageInput, channels: list[Channel], *, must_read: set[int]
    ) -> dict[int, list[Message]]:
        """The candidate's chat on each readable channel of the owner, by channel id.

        A logged-out channel cannot be read (the reply webhook still covers it). A channel in
        `must_read` that is down fails the attempt: without its chat an earlier send of this
        step could not be ruled out."""
        owner = OnBehalfOf(request.owner_user_id)
        chats: dict[int, list[Message]] = {}
        for channel in channels:
            if channel.status == "ERROR_CREDENTIALS":
                continue
            try:
                chats[channel.id] = await self._platform.list_messages(
                    owner, channel_id=channel.id, candidate_id=request.candidate_id
                )
            except (ChannelLoggedOut, CandidateUnreachable, PlatformNotFound):
                continue
            except ChannelUnavailable:
                if channel.id in must_read:
                    raise
        return chats


def _first_reply(
    request: SendMessageInput, chats: dict[int, list[Message]]
) -> ReplyReceived | None:
    """Has the candidate written on any of the owner's channels since the campaign began?"""
    for channel_id, messages in chats.items():
        for message in messages:
            sent_at = message.sentAt
            if (
                message.from_ == request.candidate_id
                and sent_at is not None
                and sent_at >= request.campaign_started_at
            ):
                return ReplyReceived(
                    channel_id=channel_id,
                    message_id=message.id,
                    received_at=sent_at,
                    source="pre-send check",
                )
    return None


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


def _pick_channel(channels: list[Channel]) -> Channel | None:
    """Prefer a healthy channel when the user connected several of one type."""
    order = {"OK": 0, "ERROR": 1, "ERROR_CREDENTIALS": 2}
    return min(channels, key=lambda c: (order.get(c.status, 3), c.id), default=None)


def _reason(error: PlatformError) -> str:
    return str(error)[:300]
