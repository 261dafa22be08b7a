"""The campaign definition the recruiting platform PUTs, validated as one pydantic model.

The same model is the API's request body and part of the workflow's input, so a definition that
passed the API is exactly the one the workflow runs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictInt,
    field_validator,
    model_serializer,
    model_validator,
)

from campaigns.send_window import SendSchedule

CAMPAIGN_LIFETIME = timedelta(days=30)
MAX_NODES = 100
MAX_MESSAGE_CHARS = 10_000
MAX_SUBJECT_CHARS = 998  # RFC 5322's line limit for a header
MAX_CONNECTION_NOTE_CHARS = 300  # LinkedIn's limit for a connection request's note


class MessageChannel(StrEnum):
    LINKEDIN_MESSAGE = "LINKEDIN_MESSAGE"
    LINKEDIN_CONNECTION_REQUEST = "LINKEDIN_CONNECTION_REQUEST"
    GMAIL = "GMAIL"
    EMAIL = "EMAIL"


class ChannelType(StrEnum):
    """The platform's connected-channel types (`GET /channel`)."""

    EMAIL = "EMAIL"
    LINKEDIN = "LINKEDIN"


CHANNEL_TYPE_OF: dict[MessageChannel, ChannelType] = {
    MessageChannel.LINKEDIN_MESSAGE: ChannelType.LINKEDIN,
    MessageChannel.LINKEDIN_CONNECTION_REQUEST: ChannelType.LINKEDIN,
    MessageChannel.GMAIL: ChannelType.EMAIL,
    MessageChannel.EMAIL: ChannelType.EMAIL,
}

ALLOWED_CHANNELS = ", ".join(c.value for c in MessageChannel)


class DefinitionRuleError(ValueError):
    """A rule over several nodes; names the node and field it is about."""

    def __init__(self, node_id: int | None, field: str, reason: str) -> None:
        super().__init__(f"node {node_id}: {field}: {reason}" if node_id else f"{field}: {reason}")
        self.node_id = node_id
        self.field = field
        self.reason = reason


class MessageNode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictInt = Field(ge=1, le=2**31 - 1)
    type: Literal["message"]
    channel: MessageChannel
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    subject_line: str | None = Field(default=None, max_length=MAX_SUBJECT_CHARS)

    @field_validator("channel", mode="before")
    @classmethod
    def _known_channel(cls, value: object) -> object:
        if value not in MessageChannel.__members__.values():
            raise ValueError(f"unknown channel {value!r}; allowed: {ALLOWED_CHANNELS}")
        return value

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _channel_rules(self) -> MessageNode:
        if self.channel_type is ChannelType.EMAIL and not (self.subject_line or "").strip():
            raise DefinitionRuleError(
                self.id, "subject_line", f"required for {self.channel.value} messages"
            )
        if (
            self.channel is MessageChannel.LINKEDIN_CONNECTION_REQUEST
            and len(self.message) > MAX_CONNECTION_NOTE_CHARS
        ):
            raise DefinitionRuleError(
                self.id,
                "message",
                f"a connection request note is at most {MAX_CONNECTION_NOTE_CHARS} "
                f"characters (got {len(self.message)})",
            )
        return self

    @property
    def channel_type(self) -> ChannelType:
        return CHANNEL_TYPE_OF[self.channel]


class DelayNode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictInt = Field(ge=1, le=2**31 - 1)
    type: Literal["delay-step"]
    delaySeconds: StrictInt = Field(
        gt=0, le=int(CAMPAIGN_LIFETIME.total_seconds())
    )  # the brief's camelCase name


CampaignNode = Annotated[MessageNode | DelayNode, Field(discriminator="type")]


class CampaignDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    nodes: list[CampaignNode] = Field(min_length=1, max_length=MAX_NODES)
    # This campaign's own send window instead of its owner's (docs/sending-limits.md).
    send_window: SendSchedule | None = None

    @model_serializer(mode="wrap")
    def _without_absent_send_window(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A definition without a send window dumps, stores and hashes exactly as before it
        # existed: the brief's definition stays what it was.
        data = handler(self)
        if self.send_window is None and isinstance(data, dict):
            data.pop("send_window", None)
        return data

    @model_validator(mode="after")
    def _whole_campaign_rules(self) -> CampaignDefinition:
        seen: set[int] = set()
        for node in self.nodes:
            if node.id in seen:
                raise DefinitionRuleError(node.id, "id", "duplicate node id")
            seen.add(node.id)
        if not any(isinstance(node, MessageNode) for node in self.nodes):
            raise DefinitionRuleError(None, "nodes", "at least one message node is required")
        if self.send_window is not None and self.send_window.never_opens:
            raise DefinitionRuleError(
                None, "send_window.weekdays", "the send window never opens: name a weekday"
            )
        elapsed = 0
        limit = int(CAMPAIGN_LIFETIME.total_seconds())
        for node in self.nodes:
            if isinstance(node, DelayNode):
                elapsed += node.delaySeconds
            elif elapsed >= limit:
                raise DefinitionRuleError(
                    node.id,
                    "delaySeconds",
                    f"message would be sent {elapsed} s after the start, "
                    f"at or after the 30-day limit ({limit} s)",
                )
        return self

    @property
    def messages(self) -> list[MessageNode]:
        return [node for node in self.nodes if isinstance(node, MessageNode)]

    def fingerprint(self) -> str:
        """A stable hash: the same definition PUT twice has the same fingerprint."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
