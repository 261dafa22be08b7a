"""Statuses of a campaign and of its steps, and why a campaign ended."""

from __future__ import annotations

from enum import StrEnum


class CampaignStatus(StrEnum):
    RUNNING = "RUNNING"
    WAITING_FOR_CHANNEL = "WAITING_FOR_CHANNEL"
    PAUSED = "PAUSED"  # sends nothing until resumed (by the user or at its resume date)
    REPLIED = "REPLIED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset(
    {CampaignStatus.RUNNING, CampaignStatus.WAITING_FOR_CHANNEL, CampaignStatus.PAUSED}
)


class StepStatus(StrEnum):
    PENDING = "PENDING"  # not reached yet
    IN_PROGRESS = "IN_PROGRESS"  # a delay counting down, or a send under way (with retries)
    WAITING_FOR_CHANNEL = "WAITING_FOR_CHANNEL"  # the channel is logged out or missing
    # Booked for a later slot by the send ledger: the send window is closed, an account limit
    # is full, or pacing spaces it from the account's other sends.
    WAITING_FOR_SLOT = "WAITING_FOR_SLOT"
    SENT = "SENT"
    DONE = "DONE"  # a delay that has passed
    SKIPPED = "SKIPPED"  # the candidate cannot be reached on this channel
    FAILED = "FAILED"  # the platform refused the message for good
    NOT_SENT = "NOT_SENT"  # the campaign ended before this step
    # The campaign ended while this message was being posted and the platform's answer never
    # came: it may have reached the candidate.
    POSSIBLY_SENT = "POSSIBLY_SENT"

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STEP_STATUSES


FINISHED_STEP_STATUSES = frozenset(
    {
        StepStatus.SENT,
        StepStatus.DONE,
        StepStatus.SKIPPED,
        StepStatus.FAILED,
        StepStatus.NOT_SENT,
        StepStatus.POSSIBLY_SENT,
    }
)


class EndReason(StrEnum):
    REPLIED = "REPLIED"  # the candidate wrote back
    NO_REPLY = "NO_REPLY"  # 30 days passed without a reply
    # 30 days passed without a reply while a message waited for a channel that never came
    # back (logged out, missing or failing): the recruiter has something to fix.
    CHANNEL_UNAVAILABLE = "CHANNEL_UNAVAILABLE"
    CANCELLED = "CANCELLED"  # cancelled by the user or replaced by a new definition
    FAILED = "FAILED"  # an unexpected error ended it


class WaitCause(StrEnum):
    """Why a send waits: for its channel (the first four), or for its slot in the account's
    sending schedule (the last four, the send ledger's reasons)."""

    LOGGED_OUT = "LOGGED_OUT"  # the user got logged out of the channel (ERROR_CREDENTIALS)
    NO_CHANNEL = "NO_CHANNEL"  # no channel of that type is connected
    CHANNEL_ERROR = "CHANNEL_ERROR"  # the channel reports ERROR: retried on its own
    # The platform refused our service credentials (401/403): no retry can fix that, an
    # operator must; the send waits, visibly, and is looked at again on the re-check schedule.
    PLATFORM_UNAUTHORIZED = "PLATFORM_UNAUTHORIZED"
    WINDOW_CLOSED = "WINDOW_CLOSED"  # outside the user's send window
    DAILY_LIMIT = "DAILY_LIMIT"  # the account's rolling 24-hour limit is full
    WEEKLY_LIMIT = "WEEKLY_LIMIT"  # the account's rolling 7-day limit is full
    PACING = "PACING"  # spaced from the account's other sends


class PauseReason(StrEnum):
    """Who paused a campaign."""

    USER = "USER"  # the recruiter paused this campaign
    ALL_CAMPAIGNS = "ALL_CAMPAIGNS"  # the recruiter paused all their campaigns (a vacation)
    AUTO_REPLY = "AUTO_REPLY"  # the candidate's out-of-office reply, until their return date


class ReplySource(StrEnum):
    """How a reply reached the campaign."""

    WEBHOOK = "webhook"  # the platform's reply webhook
    PRE_SEND_CHECK = "pre-send check"  # found in the chats just before a send
    REPLY_CHECK = "reply check"  # found by the periodic reply watcher (no webhook needed)
    FINAL_CHECK = "final check"  # found by the last look before ending without a reply
    SIGNAL = "signal"  # signalled directly (an operator or another system)
