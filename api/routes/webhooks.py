"""Webhooks from the recruiting platform: a candidate replied, a channel changed status."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Header, Request
from pydantic import AwareDatetime, BaseModel, Field, ValidationError
from temporalio.service import RPCError

from activities.chat_reading import with_users_auto_reply_action
from api.campaign_service import CampaignService
from api.deps import CampaignServiceDep, ServicesDep
from api.errors import ApiError, responses, temporal_unavailable
from api.schemas import WebhookAck
from api.services import AppServices
from api.telemetry import MetricsDep
from campaigns.auto_reply import classify
from campaigns.contracts import ChannelRestored, ReplyReceived
from campaigns.definition import ChannelType
from campaigns.status import ReplySource
from db import campaign_queries, webhook_store
from recruiting_platform import OnBehalfOf, PlatformError
from webhook_signature import BadSignature, verify
from workflows.campaign import CampaignWorkflow

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


# Ids are bounded like the columns they are stored in: a bad id is a 422 before anything acts.
PlatformId = Annotated[int, Field(ge=1, le=2**31 - 1)]
MessageId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ReplyWebhook(BaseModel):
    candidateId: PlatformId
    channelId: PlatformId
    userId: PlatformId
    messageId: MessageId
    # When the candidate sent it; a reply counts only for a campaign started at or before it.
    sentAt: AwareDatetime | None = None


WebhookT = TypeVar("WebhookT", bound=BaseModel)


class ChannelWebhook(BaseModel):
    channelId: PlatformId
    userId: PlatformId
    type: ChannelType
    status: Literal["OK", "ERROR", "ERROR_CREDENTIALS"]
    changedAt: AwareDatetime | None = None


def webhook_body(model: type[BaseModel], examples: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI for a body the route reads raw (its signature is checked before it is parsed):
    the model's schema, real examples, and the signature headers the platform sends."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": schema,
                    "examples": {
                        name: {"summary": name, "value": value} for name, value in examples.items()
                    },
                }
            },
        }
    }


REPLY_EXAMPLES = {
    "Milan replied by email": {
        "candidateId": 1001,
        "channelId": 100,
        "userId": 1,
        "messageId": 5001,
        "sentAt": "2026-12-01T09:30:00Z",
    },
}
CHANNEL_EXAMPLES = {
    "LinkedIn reconnected": {
        "channelId": 101,
        "userId": 1,
        "type": "LINKEDIN",
        "status": "OK",
        "changedAt": "2026-12-01T09:30:00Z",
    },
    "Email logged out": {
        "channelId": 100,
        "userId": 1,
        "type": "EMAIL",
        "status": "ERROR_CREDENTIALS",
    },
}
SIGNATURE_HEADERS = {
    "x_signature_timestamp": "Unix seconds when the platform signed the body",
    "x_signature": "`sha256=<hex HMAC-SHA256 of '<timestamp>.<body>' under WEBHOOK_SECRET>`",
}


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


@router.post(
    "/reply",
    response_model=WebhookAck,
    responses=responses(401, 413, 422, 503),
    openapi_extra=webhook_body(ReplyWebhook, REPLY_EXAMPLES),
)
async def candidate_replied(
    request: Request,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
    metrics: MetricsDep,
    x_signature_timestamp: str | None = Header(
        default=None, description=SIGNATURE_HEADERS["x_signature_timestamp"]
    ),
    x_signature: str | None = Header(default=None, description=SIGNATURE_HEADERS["x_signature"]),
) -> WebhookAck:
    """The candidate wrote to the user: halt the candidate's running campaign at once.

    Acted on once per platform message: a repeated delivery answers `DUPLICATE` and changes
    nothing. A message sent before the running campaign started belongs to an earlier one."""
    body = await _verified_body(request, services, ReplyWebhook, x_signature_timestamp, x_signature)
    now = datetime.now(UTC)
    async with services.sessions() as session:
        claim = await webhook_store.claim_reply(
            session,
            user_id=body.userId,
            candidate_id=body.candidateId,
            channel_id=body.channelId,
            message_id=body.messageId,
            now=now,
        )
    if not claim.first and claim.outcome != webhook_store.RECEIVED:
        metrics.count_reply("DUPLICATE")
        return WebhookAck(outcome="DUPLICATE", campaign_id=claim.campaign_id)
    ack = await _signal_reply(services, campaigns, body, received_at=now)
    async with services.sessions() as session:
        await webhook_store.finish(
            session, claim.receipt_id, outcome=ack.outcome, campaign_id=ack.campaign_id
        )
    metrics.count_reply(ack.outcome)
    return ack


async def _signal_reply(
    services: AppServices, campaigns: CampaignService, body: ReplyWebhook, received_at: datetime
) -> WebhookAck:
    sent_at = body.sentAt or received_at
    reply = ReplyReceived(
        channel_id=body.channelId,
        message_id=body.messageId,
        received_at=sent_at,
        source=ReplySource.WEBHOOK,
    )
    # Finding the running campaign (Temporal) and reading the reply to classify it (the
    # platform) do not depend on each other: one waits while the other runs, not after it.
    running, reply = await asyncio.gather(
        campaigns.running_campaign(body.candidateId), _classified(services, body, reply)
    )
    if running is None or running.owner_user_id != body.userId:
        logger.info("Reply webhook for candidate %s ignored: no running campaign", body.candidateId)
        return WebhookAck(outcome="IGNORED_NO_RUNNING_CAMPAIGN")
    if running.started_at is not None and sent_at < running.started_at:
        logger.info(
            "Reply webhook for candidate %s ignored: sent before campaign %s started",
            body.candidateId,
            running.campaign_id,
        )
        return WebhookAck(outcome="IGNORED_BEFORE_CAMPAIGN_START", campaign_id=running.campaign_id)
    try:
        await running.handle.signal(CampaignWorkflow.reply, reply)
    except RPCError as error:
        raise temporal_unavailable() from error
    return WebhookAck(outcome="SIGNALLED", campaign_id=running.campaign_id)


async def _classified(
    services: AppServices, body: ReplyWebhook, reply: ReplyReceived
) -> ReplyReceived:
    """The reply, marked when it is an automatic one (out of office) with what the user chose
    to do then. The webhook carries ids only, so the message is read from the platform; when
    it cannot be, the reply counts as one a person wrote (it stops the campaign: the safe
    mistake)."""
    try:
        messages = await services.platform.list_messages(
            OnBehalfOf(body.userId), channel_id=body.channelId, candidate_id=body.candidateId
        )
    except PlatformError as error:
        logger.info("Reply %s not classified: chat unreadable (%s)", body.messageId, error)
        return reply
    message = next((m for m in messages if m.id == body.messageId), None)
    if message is None:
        return reply
    verdict = classify(message.subject, message.body, sent_at=reply.received_at or message.sentAt)
    if verdict is None:
        return reply
    marked = reply.model_copy(update={"auto_reply": verdict.kind, "returns_on": verdict.returns_on})
    return await with_users_auto_reply_action(services.sessions, body.userId, marked)


@router.post(
    "/channel",
    response_model=list[WebhookAck],
    responses=responses(401, 413, 422, 503),
    openapi_extra=webhook_body(ChannelWebhook, CHANNEL_EXAMPLES),
)
async def channel_changed(
    request: Request,
    services: ServicesDep,
    metrics: MetricsDep,
    x_signature_timestamp: str | None = Header(
        default=None, description=SIGNATURE_HEADERS["x_signature_timestamp"]
    ),
    x_signature: str | None = Header(default=None, description=SIGNATURE_HEADERS["x_signature"]),
) -> list[WebhookAck]:
    """A channel is OK again: every campaign of its user waiting for it goes on."""
    body = await _verified_body(
        request, services, ChannelWebhook, x_signature_timestamp, x_signature
    )
    metrics.channel_webhooks.labels(body.status).inc()
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
                acks.append(WebhookAck(outcome="SIGNALLED", campaign_id=campaign.id))
            except RPCError:
                # Ended meanwhile, or Temporal is down: the workflow re-checks on its own.
                acks.append(WebhookAck(outcome="NOT_SIGNALLED", campaign_id=campaign.id))
    signalled = sum(ack.outcome == "SIGNALLED" for ack in acks)
    async with services.sessions() as session:
        await webhook_store.record(
            session,
            received_at=datetime.now(UTC),
            kind="channel",
            user_id=body.userId,
            channel_id=body.channelId,
            outcome=f"SIGNALLED_{signalled}" if body.status == "OK" else f"NOTED_{body.status}",
        )
    return acks
