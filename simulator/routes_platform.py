"""The platform API as the brief describes it; every route acts as the authenticated caller."""

import asyncio
import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import TypeAdapter

from simulator.deps import CallerDep, StateDep, WebhookSenderDep
from simulator.errors import PlatformHTTPError, not_found
from simulator.schemas import (
    Candidate,
    Channel,
    Message,
    PostMessageBody,
    PostMessageResponse,
    Role,
    User,
)
from simulator.state import (
    CandidateRecord,
    ChannelRecord,
    MessageRecord,
    SimulatorState,
    UserRecord,
)
from simulator.webhooks import WebhookSender, channel_payload, notify

logger = logging.getLogger(__name__)

router = APIRouter(tags=["platform"])

# What a misbehaving gateway in front of the platform might answer with a 200.
MALFORMED_BODY = b"<html><body>Service temporarily unavailable</body></html>"
CANDIDATE_LISTING = TypeAdapter(list[Candidate])


@router.get("/user/me", response_model=User)
async def read_me(caller: CallerDep) -> User:
    """The authenticated user."""
    return User.model_validate(caller)


@router.get("/role", response_model=list[Role])
async def list_roles(caller: CallerDep, state: StateDep) -> list[Role]:
    """The caller's roles."""
    return [Role.model_validate(role) for role in state.roles_of(caller.id)]


@router.get("/role/{role_id}", response_model=Role)
async def read_role(role_id: int, caller: CallerDep, state: StateDep) -> Role:
    """One of the caller's roles."""
    role = state.role_of(caller.id, role_id)
    if role is None:
        raise not_found("Role")
    return Role.model_validate(role)


@router.get("/role/{role_id}/candidate", response_model=list[Candidate])
async def list_candidates(role_id: int, caller: CallerDep, state: StateDep) -> Response:
    """The candidates of one of the caller's roles."""
    if state.role_of(caller.id, role_id) is None:
        raise not_found("Role")
    return Response(content=_listing(state, role_id), media_type="application/json")


def _listing(state: SimulatorState, role_id: int) -> bytes:
    """The role's listing, rendered once: building and checking its models for every request
    took about 4 ms of the simulator's CPU per listing of a 500-candidate role, charged in the
    benchmarks to the machine Campaign Executor is measured on (a platform serves it from its
    own)."""
    listing = state.rendered_listings.get(role_id)
    if listing is None:
        candidates = [Candidate.model_validate(c) for c in state.candidates_of_role(role_id)]
        listing = CANDIDATE_LISTING.dump_json(candidates, by_alias=True)
        state.rendered_listings[role_id] = listing
    return listing


@router.get("/channel", response_model=list[Channel])
async def list_channels(caller: CallerDep, state: StateDep) -> list[Channel]:
    """The caller's connected channels."""
    await _read_latency(state)
    return [Channel.model_validate(channel) for channel in state.channels_of(caller.id)]


@router.post(
    "/channel/{channel_id}/chat/{candidate_id}/message",
    response_model=PostMessageResponse,
    name="post_message",
)
async def post_message(
    channel_id: int,
    candidate_id: int,
    payload: PostMessageBody,
    caller: CallerDep,
    state: StateDep,
    sender: WebhookSenderDep,
    idempotency_key: Annotated[str | None, Header()] = None,
    x_sim_time: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> PostMessageResponse | Response:
    """Send a message to a candidate through one of the caller's channels."""
    injected = await _injected_failure(state, channel_id)
    if injected is not None:
        return injected
    channel, candidate = _chat_of(state, caller, channel_id, candidate_id)
    message = _replayed_post(state, caller, channel, candidate, idempotency_key)
    if message is None:
        _check_can_send(channel, candidate, payload)
        at = state.clock.post_time(x_sim_time)
        await _enforce_limit(state, sender, channel, at)
        message = state.record_outbound(
            channel=channel,
            candidate=candidate,
            subject=payload.subject,
            body=payload.body,
            idempotency_key=idempotency_key,
            sent_at=at,
        )
    hang_seconds = state.faults.take_hang(channel_id)
    if hang_seconds is not None:
        await asyncio.sleep(hang_seconds)
    return PostMessageResponse(message_id=message.id)


@router.get("/channel/{channel_id}/chat/{candidate_id}/message", response_model=list[Message])
async def list_messages(
    channel_id: int, candidate_id: int, caller: CallerDep, state: StateDep
) -> list[Message]:
    """Both directions of the caller's chat with a candidate on one channel, oldest first."""
    _chat_of(state, caller, channel_id, candidate_id)
    await _read_latency(state)
    return [Message.of(message) for message in state.chat(channel_id, candidate_id)]


async def _read_latency(state: SimulatorState) -> None:
    latency = state.faults.read_latency_seconds()
    if latency > 0:
        await asyncio.sleep(latency)


async def _injected_failure(state: SimulatorState, channel_id: int) -> Response | None:
    latency = state.faults.latency_seconds(channel_id)
    if latency > 0:
        epoch = state.epoch
        await asyncio.sleep(latency)
        if state.epoch != epoch:
            # Keeps a post abandoned by one test from landing in the next test's fresh state.
            raise PlatformHTTPError(
                503, "SERVICE_UNAVAILABLE", "The simulator was reset while this post waited."
            )
    rejection = state.faults.take_rejection(channel_id)
    if rejection is not None:
        raise PlatformHTTPError(
            rejection.status_code, rejection.code, rejection.detail, rejection.headers
        )
    if state.faults.take_malformed_response(channel_id):
        return Response(content=MALFORMED_BODY, media_type="text/html", status_code=200)
    return None


async def _enforce_limit(
    state: SimulatorState, sender: WebhookSender, channel: ChannelRecord, at: datetime
) -> None:
    """Refuse a post that would go over the channel's sending limit (see simulator/limits.py)."""
    sent = state.limits.sends(channel.id, state.outbound_times(channel.id))
    breach = state.limits.breach(channel.type, sent, at)
    if breach is None:
        return
    state.limits.note_refusal(channel.id)
    days = breach.window.days
    period = "24 hours" if days == 1 else f"{days} days"
    detail = f"Sending limit reached: {breach.limit} messages in {period} on this channel."
    if state.limits.settings.over_limit == "RESTRICT":
        restricted = state.set_channel_status(channel.id, "ERROR_CREDENTIALS")
        logger.info("limit: restricting channel %s", channel.id)
        await notify(state, sender, "channel", channel_payload(restricted, at))
        raise PlatformHTTPError(
            409,
            "CHANNEL_ERROR_CREDENTIALS",
            f"{detail} The account is restricted; the user must log in again.",
        )
    raise PlatformHTTPError(
        429, "RATE_LIMITED", detail, {"Retry-After": str(breach.retry_after_seconds)}
    )


def _chat_of(
    state: SimulatorState, caller: UserRecord, channel_id: int, candidate_id: int
) -> tuple[ChannelRecord, CandidateRecord]:
    channel = state.channel_of(caller.id, channel_id)
    if channel is None:
        raise not_found("Channel")
    candidate = state.visible_candidate(caller.id, candidate_id)
    if candidate is None:
        raise not_found("Candidate")
    return channel, candidate


def _replayed_post(
    state: SimulatorState,
    caller: UserRecord,
    channel: ChannelRecord,
    candidate: CandidateRecord,
    idempotency_key: str | None,
) -> MessageRecord | None:
    """The message an earlier post with this key created, so a retry creates nothing."""
    if idempotency_key is None:
        return None
    previous = state.previous_post(caller.id, idempotency_key)
    if previous is None:
        return None
    if (previous.channel_id, previous.candidate_id) != (channel.id, candidate.id):
        raise PlatformHTTPError(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was already used for a different chat.",
        )
    logger.info("idempotent replay of message %s", previous.id)
    return previous


def _check_can_send(
    channel: ChannelRecord, candidate: CandidateRecord, payload: PostMessageBody
) -> None:
    if not payload.body.strip():
        raise PlatformHTTPError(422, "INVALID_MESSAGE", "The message body must not be empty.")
    if channel.status == "ERROR":
        raise PlatformHTTPError(503, "CHANNEL_ERROR", "The channel is currently unavailable.")
    if channel.status == "ERROR_CREDENTIALS":
        raise PlatformHTTPError(
            409,
            "CHANNEL_ERROR_CREDENTIALS",
            "The user is logged out of this channel; they must reconnect it.",
        )
    address = candidate.email if channel.type == "EMAIL" else candidate.linkedin
    if address is None:
        raise PlatformHTTPError(
            422,
            "CANDIDATE_UNREACHABLE",
            f"The candidate has no {channel.type.lower()} address for this channel.",
        )
