"""Events out to the platform: which campaign events it hears of, the payload it receives, and
the typed input and result of the deliverer (workflows/event_deliverer.py).

Pure domain: no I/O. The read model's `campaign_events` (the workflow's timeline) is the source;
db/event_outbox.py queues the kinds below with a sequence number of their own, and
activities/event_delivery.py posts them, signed, to `EVENTS_WEBHOOK_URL` (docs/events.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# The activity type of the deliverer (the workflow calls it by name, so it never imports the
# activity module). Kept here rather than in campaigns/contracts.py::ActivityName so that
# this feature's names live in one module.
DELIVER_EVENTS_ACTIVITY = "deliver_events"

# Timeline kinds (campaigns/contracts.py::EventKind, by name so that kinds added later, such
# as PAUSED and RESUMED, are delivered as soon as the workflow records them) -> event type.
# The other kinds (delays, re-checks, slots, monitoring, the reply itself) are timeline detail
# for the dashboard: the platform learns of a reply from `campaign.ended` with `REPLIED`.
EVENT_TYPES: dict[str, str] = {
    "STARTED": "campaign.started",
    "MESSAGE_SENT": "campaign.message_sent",
    "STEP_SKIPPED": "campaign.step_skipped",
    "STEP_FAILED": "campaign.step_failed",
    "CHANNEL_WAITING": "campaign.channel_waiting",
    "PAUSED": "campaign.paused",
    "RESUMED": "campaign.resumed",
    "ENDED": "campaign.ended",
}
DELIVERED_KINDS = tuple(EVENT_TYPES)


def event_id(campaign_id: str, sequence: int) -> str:
    """Stable across retries: the receiver dedupes by it."""
    return f"{campaign_id}:{sequence}"


def isoformat_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_payload(
    *,
    campaign_id: str,
    sequence: int,
    kind: str,
    at: datetime,
    node_id: int | None,
    data: dict[str, Any],
    owner_user_id: int,
    role_id: int,
    candidate_id: int,
) -> dict[str, Any]:
    """The JSON body of one event, built once when it is queued and sent as is every time."""
    details = {to_camel(key): value for key, value in data.items()}
    if node_id is not None:
        details["nodeId"] = node_id
    return {
        "id": event_id(campaign_id, sequence),
        "type": EVENT_TYPES[kind],
        "sequence": sequence,
        "campaignId": campaign_id,
        "ownerUserId": owner_user_id,
        "roleId": role_id,
        "candidateId": candidate_id,
        "occurredAt": isoformat_utc(at),
        "data": details,
    }


# --- the payloads, as the OpenAPI document declares them (api/event_webhooks.py) -----------


class _Wire(BaseModel):
    # Extra fields allowed: a receiver must ignore fields it does not know.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class StartedData(_Wire):
    steps: int = Field(description="Nodes in the campaign's definition")


class MessageSentData(_Wire):
    node_id: int
    message_id: int | None = Field(default=None, description="The platform's message id")


class StepSkippedData(_Wire):
    node_id: int
    reason: str | None = Field(default=None, description="Why it was skipped, e.g. no address")


class StepFailedData(_Wire):
    node_id: int
    reason: str | None = Field(default=None, description="e.g. POSSIBLY_SENT, REJECTED")


class ChannelWaitingData(_Wire):
    node_id: int
    reason: str | None = None
    cause: str | None = Field(default=None, description="LOGGED_OUT, NO_CHANNEL or CHANNEL_ERROR")


class PauseData(_Wire):
    """Whatever the pause or resume recorded (e.g. a resume date); may be empty."""


class EndedData(_Wire):
    reason: str = Field(description="REPLIED, NO_REPLY, CHANNEL_UNAVAILABLE, CANCELLED or FAILED")


class _EventBase(_Wire):
    id: str = Field(description="`{campaignId}:{sequence}`, unique; the same on every retry")
    sequence: int = Field(ge=1, description="1, 2, 3… per campaign, without gaps")
    campaign_id: str
    owner_user_id: int
    role_id: int
    candidate_id: int
    occurred_at: datetime = Field(description="When it happened in the campaign (UTC)")


class CampaignStartedEvent(_EventBase):
    type: Literal["campaign.started"]
    data: StartedData


class MessageSentEvent(_EventBase):
    type: Literal["campaign.message_sent"]
    data: MessageSentData


class StepSkippedEvent(_EventBase):
    type: Literal["campaign.step_skipped"]
    data: StepSkippedData


class StepFailedEvent(_EventBase):
    type: Literal["campaign.step_failed"]
    data: StepFailedData


class ChannelWaitingEvent(_EventBase):
    type: Literal["campaign.channel_waiting"]
    data: ChannelWaitingData


class CampaignPausedEvent(_EventBase):
    type: Literal["campaign.paused"]
    data: PauseData


class CampaignResumedEvent(_EventBase):
    type: Literal["campaign.resumed"]
    data: PauseData


class CampaignEndedEvent(_EventBase):
    type: Literal["campaign.ended"]
    data: EndedData


PAYLOAD_MODELS: dict[str, type[_EventBase]] = {
    "campaign.started": CampaignStartedEvent,
    "campaign.message_sent": MessageSentEvent,
    "campaign.step_skipped": StepSkippedEvent,
    "campaign.step_failed": StepFailedEvent,
    "campaign.channel_waiting": ChannelWaitingEvent,
    "campaign.paused": CampaignPausedEvent,
    "campaign.resumed": CampaignResumedEvent,
    "campaign.ended": CampaignEndedEvent,
}


# --- the deliverer's input and result -------------------------------------------------------


class EventFeedInput(BaseModel):
    """Where and how the deliverer posts. The signing secret is not here: it would be stored in
    the workflow's history; the worker holds it (EVENTS_WEBHOOK_SECRET)."""

    webhook_url: str = ""  # empty: nothing is queued or sent
    poll_seconds: float = Field(default=1.0, gt=0)
    retry_initial_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    batch_size: int = Field(default=200, ge=1, le=1_000)
    # How long one delivery activity runs before the workflow continues as new.
    run_seconds: float = Field(default=600.0, gt=0)
    runs: int = 0  # activity runs of earlier runs of this chain, for the operators


class DeliveryRunResult(BaseModel):
    queued: int = 0
    delivered: int = 0
    failed_attempts: int = 0
