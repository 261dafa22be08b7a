"""Public response models of the API: camelCase on the wire, like the platform's API.

Fields are named like the read model's columns (`db/models.py`) and get their camelCase names
from pydantic's alias generator, so a response is validated from a row (`from_attributes`)
instead of copied field by field, and a new column is one line here.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class CampaignLinks(ApiModel):
    self: str
    temporal_ui: str


class CampaignStarted(ApiModel):
    campaign_id: str
    status: str
    created: bool = Field(description="False when the same definition was already running")
    workflow_id: str
    links: CampaignLinks


class StepView(ApiModel):
    node_id: int
    position: int
    type: str
    status: str
    channel: str | None = None
    subject: str | None = None
    message: str | None = None
    delay_seconds: int | None = None
    started_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    platform_channel_id: int | None = None
    platform_message_id: int | None = None
    opened_at: datetime | None = None
    attempts: int = 0
    detail: str | None = None


class ReplyView(ApiModel):
    sent_at: datetime = Field(description="When the candidate sent it (the platform's sentAt)")
    noticed_at: datetime = Field(description="When the campaign learned of it and halted")
    received_at: datetime = Field(description="Deprecated: the same as noticedAt")
    channel_id: int | None = None
    channel_type: str | None = Field(default=None, description="EMAIL or LINKEDIN")
    message_id: int | None = None
    source: str | None = Field(
        default=None,
        description="webhook, reply check (periodic, without webhook), pre-send check, "
        "final check (before ending without a reply) or signal",
    )
    subject: str | None = Field(default=None, description="Read from the platform when viewed")
    body: str | None = Field(
        default=None,
        description="The reply's text, read from the platform when viewed (null if unreadable)",
    )
    auto_reply: str | None = Field(
        default=None,
        description="OUT_OF_OFFICE or AUTOMATIC when it was an automatic reply; null for one a "
        "person wrote",
    )


class EventView(ApiModel):
    seq: int
    at: datetime
    kind: str
    node_id: int | None = None
    data: dict[str, object] = Field(default_factory=dict)


class CampaignView(ApiModel):
    campaign_id: str
    role_id: int
    candidate_id: int
    status: str
    end_reason: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    ends_at: datetime | None = None
    ended_at: datetime | None = None
    current_node_id: int | None = None
    next_action: str | None = None
    next_action_at: datetime | None = None
    last_action: str | None = None
    last_action_at: datetime | None = None
    waiting_reason: str | None = None
    waiting_channel_type: str | None = None
    waiting_cause: str | None = Field(
        default=None,
        description="Why a send waits: for its channel (LOGGED_OUT, NO_CHANNEL, CHANNEL_ERROR, "
        "PLATFORM_UNAUTHORIZED) or for its slot (WINDOW_CLOSED, DAILY_LIMIT, WEEKLY_LIMIT, "
        "PACING); waitingReason says it in words",
    )
    end_detail: str | None = Field(
        default=None, description="Why an end needs attention, e.g. a channel that never came back"
    )
    last_error: str | None = None
    steps_done: int
    steps_total: int
    steps: list[StepView]
    reply: ReplyView | None = None
    events: list[EventView] = Field(
        default_factory=list, description="Everything that happened, in the order it was noticed"
    )
    timeline: list[EventView] = Field(
        default_factory=list,
        description="The events in true time order: the reply at the moment the candidate sent "
        "it, channel waits, re-checks and restores as entries of their own",
    )
    workflow_id: str
    run_id: str | None = None
    temporal_ui_url: str


class RoleCampaignRow(ApiModel):
    candidate_id: int
    first_name: str
    last_name: str
    has_email: bool
    has_linkedin: bool
    campaign_id: str | None = None
    status: str = Field(description="The campaign's status, or NONE when it has none")
    steps_total: int = 0
    step_statuses: list[str] = Field(
        default_factory=list, description="Each step's status, in the definition's order"
    )
    steps_sent: int = 0
    steps_skipped: int = 0
    steps_done: int = 0
    last_action: str | None = None
    last_action_at: datetime | None = None
    next_action: str | None = None
    next_action_at: datetime | None = None
    started_at: datetime | None = None
    ends_at: datetime | None = None
    ended_at: datetime | None = None
    waiting_reason: str | None = None
    # The message steps' statuses (delays send nothing), for the dashboard's progress bar;
    # not part of the API's answer.
    _message_statuses: list[str] = PrivateAttr(default_factory=list)

    @property
    def message_statuses(self) -> list[str]:
        return self._message_statuses


class RoleCampaignPage(ApiModel):
    role_id: int
    items: list[RoleCampaignRow]
    next_cursor: str | None = None
    total: int


class PauseBody(ApiModel):
    until: AwareDatetime | None = Field(
        default=None,
        description="When the campaign resumes by itself (ISO 8601 with an offset); none: "
        "until resumed. The 30-day limit still applies.",
    )


class CampaignState(ApiModel):
    """A campaign's state right after a pause, resume or cancel, from Temporal itself."""

    campaign_id: str
    status: str
    paused_at: datetime | None = None
    paused_until: datetime | None = Field(
        default=None, description="When a paused campaign resumes by itself, if it does"
    )
    pause_reason: str | None = Field(default=None, description="USER, ALL_CAMPAIGNS or AUTO_REPLY")
    ends_at: datetime = Field(description="The 30-day limit; a pause does not move it")
    ended_at: datetime | None = None
    end_reason: str | None = None


class BulkControlResult(ApiModel):
    """A pause or resume of all the caller's active campaigns."""

    changed: list[CampaignState] = Field(description="The campaigns paused (or resumed)")
    skipped: int = Field(description="Campaigns that ended meanwhile")


class CancelResult(ApiModel):
    campaign_id: str
    status: str
    cancelled: bool = Field(description="False when the campaign had already ended")


class WebhookAck(ApiModel):
    outcome: str
    campaign_id: str | None = None
