"""Public response models of the API (camelCase, like the platform's API)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CampaignLinks(BaseModel):
    self: str
    temporalUi: str


class CampaignStarted(BaseModel):
    campaignId: str
    status: str
    created: bool = Field(description="False when the same definition was already running")
    workflowId: str
    links: CampaignLinks


class StepView(BaseModel):
    nodeId: int
    position: int
    type: str
    status: str
    channel: str | None = None
    subject: str | None = None
    message: str | None = None
    delaySeconds: int | None = None
    startedAt: datetime | None = None
    dueAt: datetime | None = None
    finishedAt: datetime | None = None
    platformChannelId: int | None = None
    platformMessageId: int | None = None
    openedAt: datetime | None = None
    attempts: int = 0
    detail: str | None = None


class ReplyView(BaseModel):
    sentAt: datetime = Field(description="When the candidate sent it (the platform's sentAt)")
    noticedAt: datetime = Field(description="When the campaign learned of it and halted")
    receivedAt: datetime = Field(description="Deprecated: the same as noticedAt")
    channelId: int | None = None
    channelType: str | None = Field(default=None, description="EMAIL or LINKEDIN")
    messageId: int | None = None
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


class EventView(BaseModel):
    seq: int
    at: datetime
    kind: str
    nodeId: int | None = None
    data: dict[str, object] = Field(default_factory=dict)


class CampaignView(BaseModel):
    campaignId: str
    roleId: int
    candidateId: int
    status: str
    endReason: str | None = None
    createdAt: datetime
    startedAt: datetime | None = None
    endsAt: datetime | None = None
    endedAt: datetime | None = None
    currentNodeId: int | None = None
    nextAction: str | None = None
    nextActionAt: datetime | None = None
    lastAction: str | None = None
    lastActionAt: datetime | None = None
    waitingReason: str | None = None
    waitingChannelType: str | None = None
    waitingCause: str | None = Field(
        default=None, description="LOGGED_OUT, NO_CHANNEL or CHANNEL_ERROR while waiting"
    )
    endDetail: str | None = Field(
        default=None, description="Why an end needs attention, e.g. a channel that never came back"
    )
    lastError: str | None = None
    stepsDone: int
    stepsTotal: int
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
    workflowId: str
    runId: str | None = None
    temporalUiUrl: str


class RoleCampaignRow(BaseModel):
    candidateId: int
    firstName: str
    lastName: str
    hasEmail: bool
    hasLinkedin: bool
    campaignId: str | None = None
    status: str = Field(description="The campaign's status, or NONE when it has none")
    stepsTotal: int = 0
    stepStatuses: list[str] = Field(
        default_factory=list, description="Each step's status, in the definition's order"
    )
    stepsSent: int = 0
    stepsSkipped: int = 0
    stepsDone: int = 0
    lastAction: str | None = None
    lastActionAt: datetime | None = None
    nextAction: str | None = None
    nextActionAt: datetime | None = None
    startedAt: datetime | None = None
    endsAt: datetime | None = None
    endedAt: datetime | None = None
    waitingReason: str | None = None


class RoleCampaignPage(BaseModel):
    roleId: int
    items: list[RoleCampaignRow]
    nextCursor: str | None = None
    total: int


class CancelResult(BaseModel):
    campaignId: str
    status: str
    cancelled: bool = Field(description="False when the campaign had already ended")


class WebhookAck(BaseModel):
    outcome: str
    campaignId: str | None = None
