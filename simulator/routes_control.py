"""The `/_sim` control API (no auth): what the real platform would not have.

Tests, benchmarks and demos use it to make candidates reply, break channels, inject
faults and look at everything that was sent.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from simulator.deps import StateDep, WebhookSenderDep
from simulator.errors import not_found
from simulator.faults import FaultSettings
from simulator.schemas import (
    Channel,
    ChannelStatusRequest,
    ChannelStatusResult,
    ConfigUpdate,
    ConfigView,
    Health,
    Message,
    ReplyRequest,
    ReplyResult,
    ResetResult,
    SimMessage,
    SimUser,
    WebhookLogEntry,
    WebhookResult,
)
from simulator.state import SimulatorState, WebhookKind
from simulator.webhooks import WebhookSender, isoformat_utc

router = APIRouter(prefix="/_sim", tags=["simulator control"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness probe."""
    return Health(ok=True)


@router.get("/users", response_model=list[SimUser])
async def list_users(state: StateDep) -> list[SimUser]:
    """The seed users with their tokens (a demo convenience)."""
    return [SimUser.model_validate(user) for user in state.users()]


@router.post("/reset", response_model=ResetResult)
async def reset(state: StateDep) -> ResetResult:
    """Back to the seed: channel statuses, no messages, no faults, empty webhook log."""
    state.reset()
    return ResetResult()


@router.get("/config", response_model=ConfigView)
async def read_config(state: StateDep) -> ConfigView:
    """Where webhooks are delivered."""
    return ConfigView(webhook_url=state.webhook_target.url)


@router.put("/config", response_model=ConfigView)
async def update_config(update: ConfigUpdate, state: StateDep) -> ConfigView:
    """Change where webhooks go (and optionally their secret); survives `/_sim/reset`."""
    state.webhook_target.url = update.webhook_url
    if update.webhook_secret is not None:
        state.webhook_target.secret = update.webhook_secret
    return ConfigView(webhook_url=state.webhook_target.url)


@router.get("/faults", response_model=FaultSettings)
async def read_faults(state: StateDep) -> FaultSettings:
    """The faults in force, with the counters left."""
    return state.faults.settings


@router.put("/faults", response_model=FaultSettings)
async def replace_faults(faults: FaultSettings, state: StateDep) -> FaultSettings:
    """Replace all faults; fields left out mean no fault."""
    state.faults.configure(faults)
    return state.faults.settings


@router.delete("/faults", response_model=FaultSettings)
async def clear_faults(state: StateDep) -> FaultSettings:
    """Remove every fault."""
    state.faults.clear()
    return state.faults.settings


@router.get("/messages", response_model=list[SimMessage])
async def list_all_messages(
    state: StateDep,
    candidate_id: Annotated[int | None, Query(alias="candidateId")] = None,
    channel_id: Annotated[int | None, Query(alias="channelId")] = None,
) -> list[SimMessage]:
    """Every message in both directions, oldest first."""
    messages = state.find_messages(candidate_id=candidate_id, channel_id=channel_id)
    return [SimMessage.of(message) for message in messages]


@router.get("/webhooks", response_model=list[WebhookLogEntry])
async def list_webhook_deliveries(state: StateDep) -> list[WebhookLogEntry]:
    """Every webhook delivery attempted since the last reset."""
    return [WebhookLogEntry.model_validate(delivery) for delivery in state.webhook_log]


@router.post("/candidates/{candidate_id}/reply", response_model=ReplyResult)
async def candidate_replies(
    candidate_id: int, reply: ReplyRequest, state: StateDep, sender: WebhookSenderDep
) -> ReplyResult:
    """The candidate answers in a channel's chat; the reply webhook tells Campaign Executor."""
    channel = state.channel(reply.channel_id)
    if channel is None:
        raise not_found("Channel")
    candidate = state.visible_candidate(channel.user_id, candidate_id)
    if candidate is None:
        raise not_found("Candidate")
    message = state.record_inbound(
        channel=channel,
        candidate=candidate,
        subject=reply.subject,
        body=reply.body,
        sent_at=reply.sent_at,
    )
    payload = {
        "candidateId": candidate.id,
        "channelId": channel.id,
        "userId": channel.user_id,
        "messageId": message.id,
        "sentAt": isoformat_utc(message.sent_at),
    }
    webhook = await _notify(state, sender, "reply", payload, requested=reply.deliver_webhook)
    return ReplyResult(message=Message.of(message), webhook=webhook)


@router.put("/channels/{channel_id}/status", response_model=ChannelStatusResult)
async def change_channel_status(
    channel_id: int, change: ChannelStatusRequest, state: StateDep, sender: WebhookSenderDep
) -> ChannelStatusResult:
    """Break, log out or repair a channel; the channel webhook tells Campaign Executor."""
    if state.channel(channel_id) is None:
        raise not_found("Channel")
    channel = state.set_channel_status(channel_id, change.status)
    payload = {
        "channelId": channel.id,
        "userId": channel.user_id,
        "type": channel.type,
        "status": channel.status,
        "changedAt": isoformat_utc(datetime.now(UTC)),
    }
    webhook = await _notify(state, sender, "channel", payload, requested=change.deliver_webhook)
    return ChannelStatusResult(channel=Channel.model_validate(channel), webhook=webhook)


async def _notify(
    state: SimulatorState,
    sender: WebhookSender,
    kind: WebhookKind,
    payload: dict[str, Any],
    *,
    requested: bool,
) -> WebhookResult:
    if not requested:
        return WebhookResult(delivered=False, status_code=None, error=None)
    target = state.webhook_target
    if not target.url:
        return WebhookResult(delivered=False, status_code=None, error="no webhook URL configured")
    delivery = await sender.deliver(
        base_url=target.url, secret=target.secret, kind=kind, payload=payload
    )
    state.webhook_log.append(delivery)
    return WebhookResult.model_validate(delivery)
