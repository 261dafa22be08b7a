"""Reading a candidate's chats with a user, and finding the candidate's reply in them.

Shared by the send activity's pre-send check, the final check before a campaign ends without
a reply, and the reply watcher's sweep, so that "what counts as a reply" is decided in one
place: a message from the candidate, on any of the owner's readable channels, sent at or
after the campaign started (and not after it ended). A message a person wrote wins over an
automatic one (out of office, `campaigns/auto_reply.py`), which counts only when there is no
other and the campaign has not handled it yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime

from campaigns.auto_reply import AutoReplyAction, classify, resume_at
from campaigns.contracts import ReplyReceived
from campaigns.sending_limits import SendingSettings
from campaigns.status import ReplySource
from db.engine import SessionFactory
from db.sending_settings import load_settings
from recruiting_platform import (
    CandidateUnreachable,
    Channel,
    ChannelLoggedOut,
    ChannelUnavailable,
    Message,
    OnBehalfOf,
    PlatformClient,
    PlatformNotFound,
)

ChatsByChannel = dict[int, list[Message]]


async def read_chats(
    platform: PlatformClient,
    owner_user_id: int,
    candidate_id: int,
    channels: list[Channel],
    *,
    must_read: frozenset[int] = frozenset(),
) -> tuple[ChatsByChannel, list[int]]:
    """The candidate's chat on each readable channel of the owner, by channel id, and the ids
    of the channels that could not be read.

    A logged-out channel cannot be read (the reply webhook and later checks still cover it).
    A channel in `must_read` that is down fails the call: without its chat an earlier send
    could not be ruled out."""
    owner = OnBehalfOf(owner_user_id)
    readable = [c for c in channels if c.status != "ERROR_CREDENTIALS"]
    # The channels are read at once, not one after the other: with a remote platform each read
    # is a round trip, and a send waits for all of them before its POST.
    answers = await asyncio.gather(
        *(
            platform.list_messages(owner, channel_id=c.id, candidate_id=candidate_id)
            for c in readable
        ),
        return_exceptions=True,
    )
    answer_of = {channel.id: answer for channel, answer in zip(readable, answers, strict=True)}
    chats: ChatsByChannel = {}
    unread: list[int] = []
    for channel in channels:
        answer = answer_of.get(channel.id)  # None: logged out, not asked
        if answer is None or isinstance(
            answer, ChannelLoggedOut | CandidateUnreachable | PlatformNotFound
        ):
            unread.append(channel.id)
        elif isinstance(answer, ChannelUnavailable):
            if channel.id in must_read:
                raise answer
            unread.append(channel.id)
        elif isinstance(answer, BaseException):
            raise answer  # the platform is down: the caller's retry policy decides
        else:
            chats[channel.id] = answer
    return chats, unread


def first_reply(
    chats: ChatsByChannel,
    candidate_id: int,
    *,
    since: datetime,
    until: datetime | None = None,
    source: ReplySource,
    handled_auto_replies: Collection[int] = (),
) -> ReplyReceived | None:
    """The candidate's earliest message in [since, until] on any channel that a person wrote,
    as a reply; failing that, the earliest automatic reply not handled yet."""
    written: ReplyReceived | None = None
    automatic: ReplyReceived | None = None
    for channel_id, messages in chats.items():
        for message in messages:
            sent_at = message.sentAt
            if (
                message.from_ != candidate_id
                or sent_at is None
                or sent_at < since
                or (until is not None and sent_at > until)
            ):
                continue
            verdict = classify(message.subject, message.body, sent_at=sent_at)
            if verdict is not None and message.id in handled_auto_replies:
                continue
            reply = ReplyReceived(
                channel_id=channel_id,
                message_id=message.id,
                received_at=sent_at,
                source=source,
                auto_reply=verdict.kind if verdict else None,
                returns_on=verdict.returns_on if verdict else None,
            )
            if verdict is None:
                written = _earlier(written, reply)
            else:
                automatic = _earlier(automatic, reply)
    return written or automatic


def with_auto_reply_action(reply: ReplyReceived, settings: SendingSettings) -> ReplyReceived:
    """The user's choice for an automatic reply: pause until its return date (the day's start
    in their time zone), or nothing added (it stops the campaign like any reply)."""
    if (
        reply.auto_reply is None
        or reply.returns_on is None
        or settings.auto_reply_action is not AutoReplyAction.PAUSE
    ):
        return reply
    until = resume_at(reply.returns_on, settings.schedule.zone)
    return reply.model_copy(update={"pause_until": until})


async def with_users_auto_reply_action(
    sessions: SessionFactory, owner_user_id: int, reply: ReplyReceived
) -> ReplyReceived:
    """`with_auto_reply_action` with the owner's saved choice (read only for an auto-reply)."""
    if reply.auto_reply is None:
        return reply
    async with sessions() as session:
        settings, _ = await load_settings(session, owner_user_id)
    return with_auto_reply_action(reply, settings)


def _earlier(found: ReplyReceived | None, reply: ReplyReceived) -> ReplyReceived:
    if found is None or found.received_at is None:
        return reply
    if reply.received_at is not None and reply.received_at < found.received_at:
        return reply
    return found


def pick_channel(channels: list[Channel]) -> Channel | None:
    """Prefer a healthy channel when the user connected several of one type."""
    order = {"OK": 0, "ERROR": 1, "ERROR_CREDENTIALS": 2}
    return min(channels, key=lambda c: (order.get(c.status, 3), c.id), default=None)
