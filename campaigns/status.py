"""Statuses of a campaign and of its steps, and why a campaign ended."""

from __future__ import annotations

from enum import StrEnum


class CampaignStatus(StrEnum):
    RUNNING = "RUNNING"
    WAITING_FOR_CHANNEL = "WAITING_FOR_CHANNEL"
    REPLIED = "REPLIED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({CampaignStatus.RUNNING, CampaignStatus.WAITING_FOR_CHANNEL})


class StepStatus(StrEnum):
    PENDING = "PENDING"  # not reached yet
    IN_PROGRESS = "IN_PROGRESS"  # a delay counting down, or a send under way (with retries)
    WAITING_FOR_CHANNEL = "WAITING_FOR_CHANNEL"  # the channel is logged out or missing
    SENT = "SENT"
    DONE = "DONE"  # a delay that has passed
    SKIPPED = "SKIPPED"  # the candidate cannot be reached on this channel
    FAILED = "FAILED"  # the platform refused the message for good
    NOT_SENT = "NOT_SENT"  # the campaign ended before this step

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STEP_STATUSES


FINISHED_STEP_STATUSES = frozenset(
    {StepStatus.SENT, StepStatus.DONE, StepStatus.SKIPPED, StepStatus.FAILED, StepStatus.NOT_SENT}
)


class EndReason(StrEnum):
    REPLIED = "REPLIED"  # the candidate wrote back
    NO_REPLY = "NO_REPLY"  # 30 days passed without a reply
    CANCELLED = "CANCELLED"  # cancelled by the user or replaced by a new definition
    FAILED = "FAILED"  # an unexpected error ended it
