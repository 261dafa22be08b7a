"""Per-account sending limits, pacing, and the planner that finds a send's earliest slot.

Pure (no clock, no I/O, no global randomness): the ledger (`db/send_ledger.py`) loads an
account's booked sends and the user's settings, and asks `plan_slot` for the earliest instant
that keeps every rule. docs/sending-limits.md explains each default and where it comes from.

An *account* is one user's channel type: their LinkedIn account or their mailbox. Limits count
one *kind* of send each (connection requests, LinkedIn messages, emails) over a rolling window
(24 hours or 7 days, as Gmail and LinkedIn count); pacing spaces every send of an account.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from campaigns.auto_reply import AutoReplyAction
from campaigns.camel_model import CamelModel
from campaigns.definition import CHANNEL_TYPE_OF, ChannelType, MessageChannel
from campaigns.send_window import SendSchedule, any_time, local_label, next_open

# A slot freed by a limit is taken this long after the oldest send leaves the window, so the
# platform's own rolling count never sees one too many when its clock, or our post, is a few
# seconds off (the ledger re-plans a send that starts more than LATE_TOLERANCE late).
LIMIT_MARGIN = timedelta(seconds=60)
# Ends a runaway search; a plan takes a few steps per booked send of the account.
_MAX_STEPS = 100_000


class SendKind(StrEnum):
    """What a limit counts."""

    LINKEDIN_CONNECTION_REQUEST = "LINKEDIN_CONNECTION_REQUEST"
    LINKEDIN_MESSAGE = "LINKEDIN_MESSAGE"
    EMAIL = "EMAIL"


SEND_KIND_OF: dict[MessageChannel, SendKind] = {
    MessageChannel.LINKEDIN_CONNECTION_REQUEST: SendKind.LINKEDIN_CONNECTION_REQUEST,
    MessageChannel.LINKEDIN_MESSAGE: SendKind.LINKEDIN_MESSAGE,
    MessageChannel.GMAIL: SendKind.EMAIL,
    MessageChannel.EMAIL: SendKind.EMAIL,
}

ACCOUNT_OF_KIND: dict[SendKind, ChannelType] = {
    kind: CHANNEL_TYPE_OF[channel] for channel, kind in SEND_KIND_OF.items()
}


class LimitWindow(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"

    @property
    def length(self) -> timedelta:
        return timedelta(days=1) if self is LimitWindow.DAY else timedelta(days=7)


class WaitReason(StrEnum):
    """Why a send waits: what pushed its slot furthest."""

    WINDOW_CLOSED = "WINDOW_CLOSED"
    DAILY_LIMIT = "DAILY_LIMIT"
    WEEKLY_LIMIT = "WEEKLY_LIMIT"
    PACING = "PACING"


_REASON_OF_WINDOW = {
    LimitWindow.DAY: WaitReason.DAILY_LIMIT,
    LimitWindow.WEEK: WaitReason.WEEKLY_LIMIT,
}


@dataclass(frozen=True)
class Limit:
    """At most `max_sends` sends of `kind` in any rolling `window`."""

    kind: SendKind
    window: LimitWindow
    max_sends: int


class SendingLimits(CamelModel):
    """Per-account limits; the bounds are the platforms' own ceilings (docs/sending-limits.md)."""

    linkedin_connection_requests_per_week: int = Field(default=80, ge=1, le=200)
    linkedin_connection_requests_per_day: int = Field(default=20, ge=1, le=100)
    linkedin_messages_per_day: int = Field(default=50, ge=1, le=150)
    emails_per_day: int = Field(default=100, ge=1, le=2000)

    def for_kind(self, kind: SendKind) -> list[Limit]:
        if kind is SendKind.LINKEDIN_CONNECTION_REQUEST:
            return [
                Limit(kind, LimitWindow.WEEK, self.linkedin_connection_requests_per_week),
                Limit(kind, LimitWindow.DAY, self.linkedin_connection_requests_per_day),
            ]
        if kind is SendKind.LINKEDIN_MESSAGE:
            return [Limit(kind, LimitWindow.DAY, self.linkedin_messages_per_day)]
        return [Limit(kind, LimitWindow.DAY, self.emails_per_day)]

    def all(self) -> list[Limit]:
        return [limit for kind in SendKind for limit in self.for_kind(kind)]


class Pacing(CamelModel):
    """The least time between two sends of one account, plus up to `*_jitter_seconds` more,
    drawn per send so that sends started together do not go out on a beat."""

    linkedin_min_gap_seconds: int = Field(default=120, ge=0, le=3600)
    linkedin_jitter_seconds: int = Field(default=120, ge=0, le=3600)
    email_min_gap_seconds: int = Field(default=60, ge=0, le=3600)
    email_jitter_seconds: int = Field(default=60, ge=0, le=3600)

    def gap_for(self, account: ChannelType, reservation_key: str) -> timedelta:
        """The gap around one send: the minimum plus its jitter, reproducible from its key."""
        if account is ChannelType.LINKEDIN:
            base, jitter = self.linkedin_min_gap_seconds, self.linkedin_jitter_seconds
        else:
            base, jitter = self.email_min_gap_seconds, self.email_jitter_seconds
        return timedelta(seconds=base + jitter * jitter_fraction(reservation_key))


class SendingSettings(CamelModel):
    """A user's schedule, limits and pacing; every field has a default.

    The default schedule is always open: the platform knows no user's time zone, and business
    hours in the wrong zone (09:00–17:00 UTC is 01:00–09:00 in California) would be worse than
    none. Limits and pacing protect the account from the first send; a user who saves their
    schedule gets business hours in their own zone (docs/sending-limits.md)."""

    schedule: SendSchedule = Field(default_factory=any_time)
    # What an automatic reply (out of office) does: stop the campaign like any reply, or pause
    # it until the return date it names (campaigns/auto_reply.py).
    auto_reply_action: AutoReplyAction = AutoReplyAction.STOP
    limits: SendingLimits = Field(default_factory=SendingLimits)
    pacing: Pacing = Field(default_factory=Pacing)


def jitter_fraction(reservation_key: str) -> float:
    """A number in [0, 1) drawn from the key: the same send always gets the same jitter."""
    digest = hashlib.sha256(reservation_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Booked:
    """A send already in the account's ledger."""

    at: datetime
    kind: SendKind


class SlotPlan(BaseModel):
    """The earliest allowed instant (None: none by `not_after`) and what delayed it most
    (None: it is `now`)."""

    at: datetime | None
    reason: WaitReason | None = None


def plan_slot(
    *,
    booked: Sequence[Booked],
    kind: SendKind,
    limits: Sequence[Limit],
    gap: timedelta,
    schedule: SendSchedule,
    now: datetime,
    not_after: datetime | None = None,
) -> SlotPlan:
    """The earliest instant T ≥ `now` at which one more send of `kind` keeps every rule:

    - T is inside the send window;
    - T is at least `gap` away from every booked send of the account, before or after it;
    - every rolling window of every limit of `kind` that contains T holds at most its limit,
      counting T and the booked sends (also those booked after T);

    or `SlotPlan(at=None)` when there is none by `not_after`. The booked sends may lie in the
    past and in the future, in any order; nothing is assumed about how they were made."""
    all_times = sorted(b.at for b in booked)
    kind_times = sorted(b.at for b in booked if b.kind is kind)
    own_limits = [limit for limit in limits if limit.kind is kind]
    delays: dict[WaitReason, timedelta] = defaultdict(timedelta)
    at = now
    for _ in range(_MAX_STEPS):
        if not_after is not None and at > not_after:
            return SlotPlan(at=None, reason=_main_reason(delays) or WaitReason.WINDOW_CLOSED)
        moved = (
            _window_move(schedule, at, not_after)
            or _pacing_move(all_times, at, gap)
            or _limit_move(kind_times, at, own_limits)
        )
        if moved is None:
            return SlotPlan(at=at, reason=_main_reason(delays))
        later, reason = moved
        if later is None:
            return SlotPlan(at=None, reason=_main_reason(delays) or reason)
        delays[reason] += later - at
        at = later
    raise RuntimeError("plan_slot did not settle; the booked sends are inconsistent")


def _main_reason(delays: dict[WaitReason, timedelta]) -> WaitReason | None:
    moved = {reason: delay for reason, delay in delays.items() if delay > timedelta(0)}
    return max(moved, key=lambda reason: moved[reason]) if moved else None


_Move = tuple[datetime | None, WaitReason]


def _window_move(schedule: SendSchedule, at: datetime, not_after: datetime | None) -> _Move | None:
    opens = next_open(schedule, at, not_after=not_after)
    if opens == at:
        return None
    return opens, WaitReason.WINDOW_CLOSED


def _pacing_move(times: list[datetime], at: datetime, gap: timedelta) -> _Move | None:
    """Past the last booked send closer than `gap` to `at`, by `gap`."""
    if gap <= timedelta(0):
        return None
    first = bisect_right(times, at - gap)
    end = bisect_left(times, at + gap)
    if first >= end:
        return None
    return times[end - 1] + gap, WaitReason.PACING


def _limit_move(times: list[datetime], at: datetime, limits: Sequence[Limit]) -> _Move | None:
    """Later, when a send at `at` would make some rolling window of a limit hold one too many.

    The windows containing `at` end between `at` and `at + length`; their count only grows at
    a booked send, so the ends worth checking are `at` and the booked sends after it."""
    for limit in limits:
        length = limit.window.length
        ends = [at, *times[bisect_right(times, at) : bisect_left(times, at + length)]]
        for end in ends:
            first = bisect_right(times, end - length)
            count = bisect_right(times, end) - first
            if count + 1 <= limit.max_sends:
                continue
            reason = _REASON_OF_WINDOW[limit.window]
            if end == at:
                # Wait until enough of the window's oldest sends have left it.
                leaving = times[first + count - limit.max_sends]
                return leaving + length + LIMIT_MARGIN, reason
            # The window ending at a later booked send is full: go past that send.
            return end, reason
    return None


# --- the ledger's contract ------------------------------------------------------------------


class ReservationStatus(StrEnum):
    READY = "READY"  # post now (after `wait`, a few seconds at most)
    WAIT = "WAIT"  # sleep until `send_at`, then ask again: the same reservation is found
    NO_SLOT = "NO_SLOT"  # no slot by `not_after`: do not send; nothing was reserved


class ReserveRequest(BaseModel):
    """Reserve the slot of one step's send (idempotent per campaign and node)."""

    campaign_id: str
    node_id: int
    user_id: int
    channel: MessageChannel
    # The campaign's 30-day limit: a slot after it is not reserved.
    not_after: datetime | None = None
    # The definition's own schedule, when it overrides the user's.
    schedule: SendSchedule | None = None
    # A retry whose earlier attempt may have posted: a late slot is kept (still counted)
    # and a new one is planned, so the platform never sees more than the ledger counts.
    earlier_attempt_may_have_sent: bool = False
    # Divides the pacing gap: a campaign whose durations are scaled for a demo or a test is
    # paced on the same scale. Limits and the send window are the platform's and the user's
    # real clock, never scaled.
    pacing_scale: float = Field(default=1.0, ge=1.0)

    @property
    def key(self) -> str:
        return f"{self.campaign_id}:{self.node_id}"

    @property
    def kind(self) -> SendKind:
        return SEND_KIND_OF[self.channel]

    @property
    def account(self) -> ChannelType:
        return CHANNEL_TYPE_OF[self.channel]


class Reservation(BaseModel):
    """The ledger's answer. `wait` is `send_at` minus the `now` the ledger was given, so a
    caller can sleep it whatever its own clock says."""

    status: ReservationStatus
    send_at: datetime | None = None
    wait: timedelta = timedelta(0)
    reason: WaitReason | None = None
    # For people: 'Email daily limit reached — next slot Tue 09:12 (Europe/Brussels)'.
    description: str | None = None
    time_zone: str | None = None  # WAIT: the time zone `description` shows the slot in


# --- wording -------------------------------------------------------------------------------

SEND_KIND_LABELS: dict[SendKind, str] = {
    SendKind.LINKEDIN_CONNECTION_REQUEST: "LinkedIn connection request",
    SendKind.LINKEDIN_MESSAGE: "LinkedIn message",
    SendKind.EMAIL: "Email",
}

_ACCOUNT_LABELS = {ChannelType.LINKEDIN: "LinkedIn", ChannelType.EMAIL: "Email"}


def describe_wait(
    reason: WaitReason, kind: SendKind, at: datetime, schedule: SendSchedule, *, now: datetime
) -> str:
    """What a waiting send shows, e.g. 'LinkedIn weekly connection request limit reached —
    next slot Tue 09:12 (Europe/Brussels)'."""
    return describe_wait_in(reason, kind, at, schedule.time_zone, now=now)


def describe_wait_in(
    reason: WaitReason, kind: SendKind, at: datetime, time_zone: str, *, now: datetime
) -> str:
    """`describe_wait` with the slot shown in `time_zone` (an IANA name)."""
    when = f"{local_label(at, ZoneInfo(time_zone), now=now)} ({time_zone})"
    if reason is WaitReason.WINDOW_CLOSED:
        return f"Waiting for the send window — opens {when}"
    if reason is WaitReason.PACING:
        return f"Pacing {_ACCOUNT_LABELS[ACCOUNT_OF_KIND[kind]]} sends — next slot {when}"
    return f"{_limit_label(reason, kind)} limit reached — next slot {when}"


def describe_no_slot(reason: WaitReason, kind: SendKind) -> str:
    """What a send shows when it has no slot before the campaign's 30-day limit."""
    if reason is WaitReason.WINDOW_CLOSED:
        cause = "the send window does not open"
    elif reason is WaitReason.PACING:
        cause = "pacing leaves no free slot"
    else:
        cause = f"the {_limit_label(reason, kind)} limit leaves no free slot"
    return f"Not sent: {cause} before the campaign's 30-day limit"


def _limit_label(reason: WaitReason, kind: SendKind) -> str:
    period = "daily" if reason is WaitReason.DAILY_LIMIT else "weekly"
    if kind is SendKind.EMAIL:
        return f"Email {period}"
    noun = "connection request" if kind is SendKind.LINKEDIN_CONNECTION_REQUEST else "message"
    return f"LinkedIn {period} {noun}"
