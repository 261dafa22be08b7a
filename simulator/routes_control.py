"""The `/_sim` control API (no auth): what the real platform would not have.

Tests, benchmarks and demos use it to make candidates reply, break channels, inject
faults and look at everything that was sent.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from simulator.clock import ClockSettings
from simulator.deps import StateDep, WebhookSenderDep
from simulator.errors import not_found
from simulator.faults import FaultSettings
from simulator.limits import WINDOWS, LimitSettings, peak_in_window
from simulator.schemas import (
    Channel,
    ChannelLimitUsage,
    ChannelStatusRequest,
    ChannelStatusResult,
    ClockView,
    ConfigUpdate,
    ConfigView,
    ExternalSendsRequest,
    Health,
    LimitsView,
    Message,
    ReplyRequest,
    ReplyResult,
    ResetResult,
    SimMessage,
    SimUser,
    WebhookLogEntry,
)
from simulator.state import ChannelRecord, Direction, SimulatorState
from simulator.webhooks import channel_payload, isoformat_utc, notify

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


@router.get("/requests")
async def requests_of_token(state: StateDep, token: str) -> dict[str, int]:
    """How many platform API requests carried `token`, per method and path (e.g. "GET /user/me")."""
    return dict(state.requests_by_token.get(token, {}))


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
    direction: Direction | None = None,
    sent_since: Annotated[
        AwareDatetime | None,
        Query(alias="sentSince", description="only messages sent at or after this moment"),
    ] = None,
) -> list[SimMessage]:
    """Every message in both directions, oldest first; the filters narrow it (a benchmark
    polling for its own burst's messages need not be sent every earlier one)."""
    messages = state.find_messages(
        candidate_id=candidate_id, channel_id=channel_id, direction=direction, sent_since=sent_since
    )
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
    webhook = await notify(state, sender, "reply", payload, requested=reply.deliver_webhook)
    return ReplyResult(message=Message.of(message), webhook=webhook)


@router.put("/channels/{channel_id}/status", response_model=ChannelStatusResult)
async def change_channel_status(
    channel_id: int, change: ChannelStatusRequest, state: StateDep, sender: WebhookSenderDep
) -> ChannelStatusResult:
    """Break, log out or repair a channel; the channel webhook tells Campaign Executor."""
    if state.channel(channel_id) is None:
        raise not_found("Channel")
    channel = state.set_channel_status(channel_id, change.status)
    payload = channel_payload(channel, state.clock.now())
    webhook = await notify(state, sender, "channel", payload, requested=change.deliver_webhook)
    return ChannelStatusResult(channel=Channel.model_validate(channel), webhook=webhook)


@router.get("/limits", response_model=LimitsView)
async def read_limits(state: StateDep) -> LimitsView:
    """The sending limits in force, and every channel's use against them."""
    return _limits_view(state)


@router.put("/limits", response_model=LimitsView)
async def replace_limits(limits: LimitSettings, state: StateDep) -> LimitsView:
    """Replace the sending limits; fields left out mean no limit. Usage is kept."""
    state.limits.configure(limits)
    return _limits_view(state)


@router.delete("/limits", response_model=LimitsView)
async def clear_limits(state: StateDep) -> LimitsView:
    """No limits, and forget external sends and refusals."""
    state.limits.clear()
    return _limits_view(state)


@router.post("/channels/{channel_id}/external-sends", response_model=ChannelLimitUsage)
async def record_external_sends(
    channel_id: int, sends: ExternalSendsRequest, state: StateDep
) -> ChannelLimitUsage:
    """Sends the user made elsewhere: they count against the channel's limit, like ours."""
    channel = state.channel(channel_id)
    if channel is None:
        raise not_found("Channel")
    at = sends.sent_at or state.clock.now()
    state.limits.record_external(channel_id, [at] * sends.count)
    return _channel_usage(state, channel)


@router.get("/clock", response_model=ClockView)
async def read_clock(state: StateDep) -> ClockView:
    """The simulator's time, and whether posts may carry their own (`X-Sim-Time`)."""
    return ClockView(**state.clock.settings.model_dump(), now=state.clock.now())


@router.put("/clock", response_model=ClockView)
async def set_clock(clock: ClockSettings, state: StateDep) -> ClockView:
    """Shift the simulator's time, e.g. a week ahead to free a weekly limit."""
    state.clock.configure(clock)
    return await read_clock(state)


def _limits_view(state: SimulatorState) -> LimitsView:
    channels = [_channel_usage(state, channel) for channel in state.channels.values()]
    return LimitsView(**state.limits.settings.model_dump(), channels=channels)


def _channel_usage(state: SimulatorState, channel: ChannelRecord) -> ChannelLimitUsage:
    window = WINDOWS[channel.type]
    sent = state.limits.sends(channel.id, state.outbound_times(channel.id))
    now = state.clock.now()
    return ChannelLimitUsage(
        channel_id=channel.id,
        type=channel.type,
        limit=state.limits.settings.limit_for(channel.type),
        window_seconds=int(window.total_seconds()),
        in_window=sum(1 for moment in sent if now - window < moment <= now),
        peak=peak_in_window(sent, window),
        external=len(state.limits.external.get(channel.id, [])),
        refused=state.limits.refused.get(channel.id, 0),
    )
