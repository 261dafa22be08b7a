"""Typed inputs and outputs that cross the workflow boundary: workflow input, signals, query
result, activity inputs and results. One pydantic model each, so fields can be added later
without breaking running campaigns (new fields always get defaults)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from campaigns.definition import CampaignDefinition, ChannelType, MessageChannel
from campaigns.status import CampaignStatus, EndReason, StepStatus

TASK_QUEUE_DEFAULT = "campaign-executor"
WORKFLOW_ID_PREFIX = "campaign-candidate-"


def workflow_id_for(candidate_id: int) -> str:
    """One workflow id per candidate (no personal data): Temporal refuses a second running one."""
    return f"{WORKFLOW_ID_PREFIX}{candidate_id}"


# --- workflow input, signals, query ---------------------------------------------------------


class CampaignInput(BaseModel):
    campaign_id: str
    owner_user_id: int
    role_id: int
    candidate_id: int
    definition: CampaignDefinition
    # Divides every duration (delays, the 30 days, retry intervals); 1 in production.
    time_scale: float = Field(default=1.0, ge=1.0)


class ReplyReceived(BaseModel):
    channel_id: int | None = None
    message_id: int | None = None
    received_at: datetime | None = None
    source: str = "webhook"  # "webhook" or "pre-send check"


class ChannelRestored(BaseModel):
    channel_type: ChannelType
    channel_id: int | None = None


class StepProgress(BaseModel):
    node_id: int
    position: int
    type: str  # "message" or "delay-step"
    channel: MessageChannel | None = None
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    due_at: datetime | None = None  # a delay's end, or when a waiting send is re-checked
    finished_at: datetime | None = None
    platform_channel_id: int | None = None
    platform_message_id: int | None = None
    attempts: int = 0
    detail: str | None = None  # why skipped / waiting / failed; no message text


def initial_steps(definition: CampaignDefinition) -> list[StepProgress]:
    """One PENDING step per node, in order: a campaign before anything happened."""
    return [
        StepProgress(
            node_id=node.id,
            position=position,
            type=node.type,
            channel=getattr(node, "channel", None),
        )
        for position, node in enumerate(definition.nodes)
    ]


class CampaignProgress(BaseModel):
    campaign_id: str
    workflow_id: str
    run_id: str
    owner_user_id: int
    role_id: int
    candidate_id: int
    status: CampaignStatus
    started_at: datetime
    ends_at: datetime
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    current_node_id: int | None = None
    next_action: str | None = None
    next_action_at: datetime | None = None
    waiting_reason: str | None = None
    last_error: str | None = None
    last_action: str | None = None
    last_action_at: datetime | None = None
    steps: list[StepProgress]

    @property
    def steps_done(self) -> int:
        return sum(1 for step in self.steps if step.status.is_finished)


class EventKind(StrEnum):
    STARTED = "STARTED"
    MESSAGE_SENT = "MESSAGE_SENT"
    STEP_SKIPPED = "STEP_SKIPPED"
    STEP_FAILED = "STEP_FAILED"
    DELAY_STARTED = "DELAY_STARTED"
    DELAY_FINISHED = "DELAY_FINISHED"
    CHANNEL_WAITING = "CHANNEL_WAITING"
    CHANNEL_RESTORED = "CHANNEL_RESTORED"
    MONITORING = "MONITORING"
    REPLY_RECEIVED = "REPLY_RECEIVED"
    ENDED = "ENDED"


class CampaignEvent(BaseModel):
    seq: int
    at: datetime
    kind: EventKind
    node_id: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)


# --- activities ----------------------------------------------------------------------------


class RecordProgressInput(BaseModel):
    """A full snapshot plus the events since the last one; applying it twice changes nothing."""

    progress: CampaignProgress
    definition: CampaignDefinition
    definition_hash: str
    new_events: list[CampaignEvent]
    snapshot_seq: int


class SendMessageInput(BaseModel):
    campaign_id: str
    owner_user_id: int
    candidate_id: int
    role_id: int | None = None  # to look up the candidate's contact data when a channel is down
    node_id: int
    channel: MessageChannel
    subject: str | None
    body: str
    campaign_started_at: datetime
    idempotency_key: str


class SendOutcomeKind(StrEnum):
    SENT = "SENT"
    REPLY_DETECTED = "REPLY_DETECTED"  # the candidate already wrote: nothing was sent
    CHANNEL_LOGGED_OUT = "CHANNEL_LOGGED_OUT"
    NO_CHANNEL = "NO_CHANNEL"
    CANDIDATE_UNREACHABLE = "CANDIDATE_UNREACHABLE"
    REJECTED = "REJECTED"


class SendOutcome(BaseModel):
    kind: SendOutcomeKind
    channel_id: int | None = None
    message_id: int | None = None
    sent_at: datetime | None = None
    reply: ReplyReceived | None = None
    detail: str | None = None
