"""Webhooks from the recruiting platform: a candidate replied, a channel changed status."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal, TypeVar

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ValidationError
from temporalio.service import RPCError

from api.campaign_service import CampaignService
from api.deps import ServicesDep
from api.errors import ApiError, responses, temporal_unavailable
from api.schemas import WebhookAck
from api.webhook_signature import BadSignature, verify
from campaigns.contracts import ChannelRestored, ReplyReceived
from campaigns.definition import ChannelType
from db import campaign_queries
from db.models import WebhookReceipt
from workflows.campaign import CampaignWorkflow

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class ReplyWebhook(BaseModel):
    candidateId: int
    channelId: int
    userId: int
    messageId: int
    sentAt: datetime | None = None


WebhookT = TypeVar("WebhookT", bound=BaseModel)


class ChannelWebhook(BaseModel):
    channelId: int
    userId: int
    type: ChannelType
    status: Literal["OK", "ERROR", "ERROR_CREDENTIALS"]
    changedAt: datetime | None = None


async def _verified_body(
    request: Request,
    services: ServicesDep,
    model: type[WebhookT],
    timestamp: str | None,
    signature: str | None,
) -> WebhookT:
    raw = await request.body()
    try:
        verify(
            services.settings.webhook_secret,
            timestamp,
            signature,
            raw,
            max_age_seconds=services.settings.webhook_max_age_seconds,
        )
    except BadSignature as error:
        raise ApiError(401, "BAD_SIGNATURE", f"Webhook rejected: {error}") from None
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
            for e in error.errors()
        ]
        raise ApiError(422, "INVALID_REQUEST", "Invalid webhook payload", details) from None


async def _receipt(services: ServicesDep, **values: object) -> None:
    async with services.sessions() as session:
        session.add(WebhookReceipt(received_at=datetime.now(UTC), **values))
        await session.commit()


@router.post("/reply", response_model=WebhookAck, responses=responses(401, 422, 503))
async def candidate_replied(
    request: Request,
    services: ServicesDep,
    x_signature_timestamp: str | None = Header(default=None),
    x_signature: str | None = Header(default=None),
) -> WebhookAck:
    """The candidate wrote to the user: halt the candidate's running campaign at once."""
    body = await _verified_body(request, services, ReplyWebhook, x_signature_timestamp, x_signature)
    running = await CampaignService(services).running_campaign(body.candidateId)
    if running is not None and running.owner_user_id == body.userId:
        try:
            await running.handle.signal(
                CampaignWorkflow.reply,
                ReplyReceived(
                    channel_id=body.channelId,
                    message_id=body.messageId,
                    received_at=body.sentAt,
                    source="webhook",
                ),
            )
        except RPCError as error:
            raise temporal_unavailable() from error
        ack = WebhookAck(outcome="SIGNALLED", campaignId=running.campaign_id)
    else:
        logger.info("Reply webhook for candidate %s ignored: no running campaign", body.candidateId)
        ack = WebhookAck(outcome="IGNORED_NO_RUNNING_CAMPAIGN")
    await _receipt(
        services,
        kind="reply",
        user_id=body.userId,
        candidate_id=body.candidateId,
        channel_id=body.channelId,
        outcome=ack.outcome,
        campaign_id=ack.campaignId,
    )
    return ack


@router.post("/channel", response_model=list[WebhookAck], responses=responses(401, 422, 503))
async def channel_changed(
    request: Request,
    services: ServicesDep,
    x_signature_timestamp: str | None = Header(default=None),
    x_signature: str | None = Header(default=None),
) -> list[WebhookAck]:
    """A channel is OK again: every campaign of its user waiting for it goes on."""
    body = await _verified_body(
        request, services, ChannelWebhook, x_signature_timestamp, x_signature
    )
    acks: list[WebhookAck] = []
    if body.status == "OK":
        async with services.sessions() as session:
            waiting = await campaign_queries.waiting_for_channel(
                session, body.userId, body.type.value
            )
        for campaign in waiting:
            handle = services.temporal.get_workflow_handle(
                campaign.workflow_id, run_id=campaign.run_id
            )
            try:
                await handle.signal(
                    CampaignWorkflow.channel_restored,
                    ChannelRestored(channel_type=body.type, channel_id=body.channelId),
                )
                acks.append(WebhookAck(outcome="SIGNALLED", campaignId=campaign.id))
            except RPCError:
                # Ended meanwhile, or Temporal is down: the workflow re-checks on its own.
                acks.append(WebhookAck(outcome="NOT_SIGNALLED", campaignId=campaign.id))
    signalled = sum(ack.outcome == "SIGNALLED" for ack in acks)
    await _receipt(
        services,
        kind="channel",
        user_id=body.userId,
        channel_id=body.channelId,
        outcome=f"SIGNALLED_{signalled}" if body.status == "OK" else f"NOTED_{body.status}",
    )
    return acks
