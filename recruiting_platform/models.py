"""The recruiting platform's types, with the platform's camelCase field names."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ChannelType = Literal["EMAIL", "LINKEDIN"]
ChannelStatus = Literal["OK", "ERROR", "ERROR_CREDENTIALS"]


class User(BaseModel):
    id: int
    firstName: str
    lastName: str
    email: str


class Role(BaseModel):
    id: int
    title: str
    description: str


class Candidate(BaseModel):
    id: int
    firstName: str
    lastName: str
    email: str | None = None
    linkedin: str | None = None
    # The platform's structured CV; its shape is the platform's business.
    cv: Any = None


class Channel(BaseModel):
    id: int
    type: ChannelType
    status: ChannelStatus


class PostMessageBody(BaseModel):
    body: str
    subject: str | None = None


class PostMessageResponse(BaseModel):
    messageId: int


class Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    # `from` is a Python keyword: read it as `message.from_`.
    from_: int = Field(alias="from")
    to: int
    subject: str | None = None
    body: str
    sentAt: datetime | None = None
    openedAt: datetime | None = None
