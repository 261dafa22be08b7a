"""Reading a candidate's chats with a user, and finding the candidate's reply in them.

Shared by the send activity's pre-send check, the final check before a campaign ends without
a reply, and the reply watcher's sweep, so that "what counts as a reply" is decided in one
place: a message from the candidate, on any of the owner's readable channels, sent at or
after the campaign started (and not after it ended).
"""

from __future__ import annotations

from datetime import datetime

from campaigns.contracts import ReplyReceived
from campaigns.status import ReplySource
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
    chats: ChatsByChannel = {}
    unread: list[int] = []
    for channel in channels:
        if channel.status == "ERROR_CREDENTIALS":
            unread.append(channel.id)
            continue
        try:
            chats[channel.id] = await platform.list_messages(
                owner, channel_id=channel.id, candidate_id=candidate_id
            )
        except (ChannelLoggedOut, CandidateUnreachable, PlatformNotFound):
            unread.append(channel.id)
        except ChannelUnavailable:
            if channel.id in must_read:
                raise
            unread.append(channel.id)
    return chats, unread


def first_reply(
    chats: ChatsByChannel,
    candidate_id: int,
    *,
    since: datetime,
    until: datetime | None = None,
    source: ReplySource,
) -> ReplyReceived | None:
    """The candidate's earliest message in [since, until] on any channel, as a reply."""
    found: ReplyReceived | None = None
    for channel_id, messages in chats.items():
        for message in messages:
            sent_at = message.sentAt
            if (
                message.from_ == candidate_id
                and sent_at is not None
                and sent_at >= since
                and (until is None or sent_at <= until)
                and (found is None or sent_at < (found.received_at or sent_at))
            ):
                found = ReplyReceived(
                    channel_id=channel_id,
                    message_id=message.id,
                    received_at=sent_at,
                    source=source,
                )
    return found


def pick_channel(channels: list[Channel]) -> Channel | None:
    """Prefer a healthy channel when the user connected several of one type."""
    order = {"OK": 0, "ERROR": 1, "ERROR_CREDENTIALS": 2}
    return min(channels, key=lambda c: (order.get(c.status, 3), c.id), default=None)
