"""Typed inputs and outputs that cross the workflow boundary: workflow input, signals, query
result, activity inputs and results. One pydantic model each, so fields can be added later
without breaking running campaigns (new fields always get defaults)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from campaigns.auto_reply import AutoReplyKind
from campaigns.codes import LastAction, NextAction, StepDetail
from campaigns.definition import CampaignDefinition, ChannelType, MessageChannel
from campaigns.send_window import SendSchedule
from campaigns.status import (
    CampaignStatus,
    EndReason,
    PauseReason,
    ReplySource,
    StepStatus,
    WaitCause,
)

WORKFLOW_ID_PREFIX = "campaign-candidate-"


def workflow_id_for(candidate_id: int) -> str:
    """One workflow id per candidate (no personal data): Temporal refuses a second running one."""
    return f"{WORKFLOW_ID_PREFIX}{candidate_id}"


class ActivityName(StrEnum):
    """Activity types by name: the workflows call them by these names, so workflow code never
    imports the activity modules (and through them the database and the platform client)."""

    SEND_MESSAGE = "send_message"
    RECORD_PROGRESS = "record_progress"
    FIND_REPLY = "find_reply"
    CHECK_REPLY_BATCH = "check_reply_batch"
    RELEASE_SEND_SLOTS = "release_send_slots"


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
    """The candidate wrote back. Ids and times only: the text stays on the platform."""

    channel_id: int | None = None
    message_id: int | None = None
    # When the candidate sent it (the platform's `sentAt`); a reply counts for a campaign only
    # if it was sent at or after the campaign started. None: when the campaign heard of it.
    received_at: datetime | None = None
    source: ReplySource = ReplySource.WEBHOOK
    # An automatic reply (out of office): shown as such. With `pause_until` (the user chose
    # to pause on one, and it names a return date) it pauses the campaign instead of ending it.
    auto_reply: AutoReplyKind | None = None
    returns_on: date | None = None  # the return date an out-of-office reply names
    pause_until: datetime | None = None


class PauseRequest(BaseModel):
    """Pause a campaign: it sends nothing until resumed, or until `until` when given."""

    until: datetime | None = None
    reason: PauseReason = PauseReason.USER


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
    # Why skipped / waiting / failed, as a code with its parameters (worded by
    # `campaigns/wording.py`); `detail` only for words that are not ours (a platform's refusal,
    # or a send result recorded before the codes). No message text.
    detail_code: StepDetail | None = None
    detail_cause: WaitCause | None = None  # WAITING_*, NO_SLOT, CHANNEL_NEVER_RESTORED
    detail_time_zone: str | None = None  # WAITING_FOR_SLOT: the slot's time zone (at `due_at`)
    detail: str | None = None
    wait_cause: WaitCause | None = None  # while WAITING_FOR_CHANNEL


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
    # Codes and their parameters, never sentences: `campaigns/wording.py` words them.
    next_action: NextAction | None = None
    next_action_channel: MessageChannel | None = None  # SEND, RECHECK_CHANNEL
    next_action_at: datetime | None = None
    # A WaitCause code (the words of a send result recorded before the codes are kept as
    # they are); worded with `waiting_channel`, and for a slot `next_action_at` in
    # `waiting_time_zone`.
    waiting_reason: str | None = None
    waiting_channel: MessageChannel | None = None
    waiting_time_zone: str | None = None
    waiting_channel_type: ChannelType | None = None
    waiting_cause: WaitCause | None = None
    # Why an end is worth the recruiter's attention (e.g. the channel that never came back):
    # an EndDetail code, worded with the step whose detail says it.
    end_detail: str | None = None
    last_error: str | None = None  # a CampaignError code, or a platform's refusal as it came
    last_action: LastAction | None = None
    last_action_channel: MessageChannel | None = None
    last_action_at: datetime | None = None
    reply: ReplyReceived | None = None  # the reply that ended it: ids, time and source
    paused_at: datetime | None = None  # while PAUSED
    paused_until: datetime | None = None  # while PAUSED: when it resumes by itself, if ever
    pause_reason: PauseReason | None = None  # while PAUSED
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
    CHANNEL_RECHECKED = "CHANNEL_RECHECKED"  # looked again, still not usable
    CHANNEL_RESTORED = "CHANNEL_RESTORED"
    SLOT_WAITING = "SLOT_WAITING"  # booked for a later slot: send window, limit or pacing
    NO_SLOT = "NO_SLOT"  # no slot before the 30-day limit: the message is not sent
    MONITORING = "MONITORING"
    REPLY_RECEIVED = "REPLY_RECEIVED"
    AUTO_REPLY_RECEIVED = "AUTO_REPLY_RECEIVED"  # an out-of-office reply that paused it
    PAUSED = "PAUSED"
    RESUMED = "RESUMED"
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
    # Set by campaigns started after the channel-error waits shipped: a channel in ERROR or
    # refused credentials are reported as an outcome (the campaign shows the wait) instead of
    # retried invisibly inside Temporal.
    report_channel_errors: bool = False
    # Earlier send activities of this step (e.g. before a channel wait): a later one must
    # look for a message an earlier one may have posted.
    previous_attempts: int = 0
    # Set by campaigns started after the send ledger shipped: the send books its slot in the
    # account's ledger (send window, limits, pacing) right before it posts, and answers
    # WAIT_FOR_SLOT or NO_SLOT instead of posting when the slot is not now.
    reserve_slot: bool = False
    not_after: datetime | None = None  # the campaign's 30-day limit: no slot after it
    send_window: SendSchedule | None = None  # the definition's own window, if it has one
    time_scale: float = 1.0  # divides the pacing gap, as it divides every campaign duration
    # Automatic replies that already paused the campaign: not a reply any more.
    handled_auto_replies: list[int] = Field(default_factory=list)


class ReleaseSlotsInput(BaseModel):
    """Free the slots a campaign that ended still has booked ahead."""

    campaign_id: str


class SendOutcomeKind(StrEnum):
    SENT = "SENT"
    REPLY_DETECTED = "REPLY_DETECTED"  # the candidate already wrote: nothing was sent
    CHANNEL_LOGGED_OUT = "CHANNEL_LOGGED_OUT"
    NO_CHANNEL = "NO_CHANNEL"
    CHANNEL_ERROR = "CHANNEL_ERROR"  # the channel reports ERROR (only if asked to report it)
    PLATFORM_UNAUTHORIZED = "PLATFORM_UNAUTHORIZED"  # our credentials refused (likewise)
    CANDIDATE_UNREACHABLE = "CANDIDATE_UNREACHABLE"
    REJECTED = "REJECTED"
    WAIT_FOR_SLOT = "WAIT_FOR_SLOT"  # booked for `slot_at`: wait, then send again (not posted)
    NO_SLOT = "NO_SLOT"  # no slot before the 30-day limit: not posted, nothing booked


class SendOutcome(BaseModel):
    kind: SendOutcomeKind
    channel_id: int | None = None
    message_id: int | None = None
    sent_at: datetime | None = None
    reply: ReplyReceived | None = None
    # What happened, as a code (+ wait_cause, time_zone); `detail` only for the platform's own
    # words (REJECTED). Send activities before the codes put their English in `detail`.
    detail_code: StepDetail | None = None
    detail: str | None = None
    time_zone: str | None = None  # WAIT_FOR_SLOT: the time zone the slot is shown in
    slot_at: datetime | None = None  # WAIT_FOR_SLOT: when the booked slot comes
    wait_cause: WaitCause | None = None  # WAIT_FOR_SLOT and NO_SLOT: what holds it back


class FindReplyInput(BaseModel):
    """Look through the candidate's chats on the owner's readable channels for a reply."""

    owner_user_id: int
    candidate_id: int
    since: datetime  # the campaign's start: older messages belong to an earlier campaign
    until: datetime | None = None  # the campaign's end: later ones are not its concern
    source: ReplySource = ReplySource.FINAL_CHECK
    handled_auto_replies: list[int] = Field(default_factory=list)


class FindReplyResult(BaseModel):
    reply: ReplyReceived | None = None


# --- the reply watcher ----------------------------------------------------------------------


class ReplyWatchInput(BaseModel):
    """The reply watcher sweeps every active campaign's chats once per interval."""

    interval_seconds: float = Field(gt=0)
    batch_size: int = Field(default=100, ge=1, le=1_000)
    # Where an interrupted sweep goes on (after continue-as-new); None: a new sweep.
    after_candidate_id: int | None = None
    sweeps: int = 0  # sweeps done by earlier runs of this chain, for the operators


class ReplyBatchInput(BaseModel):
    after_candidate_id: int | None = None  # active campaigns are swept in candidate order
    limit: int = Field(default=100, ge=1, le=1_000)


class ReplyBatchResult(BaseModel):
    checked: int
    replies_found: int
    unreadable: int = 0  # campaigns whose chats could not be read this time
    # Where the next batch starts; None when the sweep reached the last active campaign.
    next_after_candidate_id: int | None = None
