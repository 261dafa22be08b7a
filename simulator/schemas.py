"""JSON shapes of the platform API (the brief's camelCase types) and of the `/_sim` control API."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from simulator.clock import ClockSettings
from simulator.limits import LimitSettings
from simulator.state import ChannelStatus, ChannelType, Direction, MessageRecord, WebhookKind


class CamelModel(BaseModel):
    """camelCase on the wire; built straight from the state's records with `model_validate`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


# Platform API.


class User(CamelModel):
    id: int
    first_name: str
    last_name: str
    email: str


class Role(CamelModel):
    id: int
    title: str
    description: str


class Candidate(CamelModel):
    id: int
    first_name: str
    last_name: str
    email: str | None
    linkedin: str | None
    cv: Any


class Channel(CamelModel):
    id: int
    type: ChannelType
    status: ChannelStatus


class PostMessageBody(CamelModel):
    body: str
    subject: str | None = None


class PostMessageResponse(CamelModel):
    message_id: int


class Message(CamelModel):
    id: int
    from_: int = Field(alias="from")
    to: int
    subject: str | None
    body: str
    sent_at: datetime | None
    opened_at: datetime | None

    @classmethod
    def of(cls, message: MessageRecord) -> "Message":
        return cls(**_message_fields(message))


def _message_fields(message: MessageRecord) -> dict[str, Any]:
    # The record says sender/recipient; the platform's JSON says from/to.
    return {
        "id": message.id,
        "from_": message.sender,
        "to": message.recipient,
        "subject": message.subject,
        "body": message.body,
        "sent_at": message.sent_at,
        "opened_at": message.opened_at,
    }


# Control API (`/_sim`).


class SimMessage(Message):
    """A message as the simulator sees it, with the chat it belongs to."""

    channel_id: int
    candidate_id: int
    user_id: int
    direction: Direction
    idempotency_key: str | None

    @classmethod
    def of(cls, message: MessageRecord) -> "SimMessage":
        return cls(
            **_message_fields(message),
            channel_id=message.channel_id,
            candidate_id=message.candidate_id,
            user_id=message.user_id,
            direction=message.direction,
            idempotency_key=message.idempotency_key,
        )


class SimUser(User):
    token: str


class Health(CamelModel):
    ok: bool


class ReplyRequest(CamelModel):
    channel_id: int
    body: str = "Thanks, I'm interested!"
    subject: str | None = None
    deliver_webhook: bool = True
    # When the candidate wrote it (default: now); lets a test place a reply in time.
    sent_at: datetime | None = None


class WebhookResult(CamelModel):
    delivered: bool
    status_code: int | None
    error: str | None


class ReplyResult(CamelModel):
    message: Message
    webhook: WebhookResult


class ChannelStatusRequest(CamelModel):
    status: ChannelStatus
    deliver_webhook: bool = True


class ChannelStatusResult(CamelModel):
    channel: Channel
    webhook: WebhookResult


class WebhookLogEntry(WebhookResult):
    kind: WebhookKind
    url: str
    payload: dict[str, Any]
    attempted_at: datetime


class ConfigUpdate(CamelModel):
    webhook_url: str
    # Left out = keep the current secret.
    webhook_secret: str | None = None


class ConfigView(CamelModel):
    """The runtime config; the secret is never echoed back."""

    webhook_url: str


class ResetResult(CamelModel):
    reset: Literal[True] = True


class ChannelLimitUsage(CamelModel):
    """One channel against its sending limit (`GET /_sim/limits`)."""

    channel_id: int
    type: ChannelType
    limit: int | None
    window_seconds: int
    # Outbound messages (ours and external) in the rolling window ending at the clock's now.
    in_window: int
    # The most any rolling window ever held: above `limit` only if sends came from elsewhere
    # after ours, or the limit was lowered.
    peak: int
    external: int
    refused: int


class LimitsView(LimitSettings):
    channels: list[ChannelLimitUsage]


class ExternalSendsRequest(CamelModel):
    """Sends the user made outside Campaign Executor (by hand on LinkedIn, from their mail app)."""

    count: int = Field(default=1, ge=1, le=10_000)
    # When they were sent (default: the clock's now).
    sent_at: datetime | None = None


class ClockView(ClockSettings):
    now: datetime


# Events from Campaign Executor (`/_sim/events`).


class EventReceipt(CamelModel):
    id: str
    duplicate: bool


class ReceivedEventView(CamelModel):
    id: str
    payload: dict[str, Any]
    first_received_at: datetime
    deliveries: int


class ReceivedEventsView(CamelModel):
    events: list[ReceivedEventView]
    duplicates: int  # deliveries beyond the first of an id
    refused: int  # deliveries answered while down
    rejected: int  # deliveries with a bad signature or body


class EventsReceiverSettings(CamelModel):
    down: bool = False
    down_status: int = Field(default=503, ge=400, le=599)
    # Left out = keep the current secret.
    secret: str | None = None


class EventsReceiverView(CamelModel):
    """The receiver's state; the secret is never echoed back."""

    down: bool
    down_status: int
