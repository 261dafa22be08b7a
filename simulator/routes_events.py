"""Where Campaign Executor posts its events, and the `/_sim/events` controls to look at them
and to take the receiver down for a while."""

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from simulator.deps import StateDep
from simulator.errors import PlatformHTTPError, unauthorized
from simulator.schemas import (
    EventReceipt,
    EventsReceiverSettings,
    EventsReceiverView,
    ReceivedEventsView,
    ReceivedEventView,
)

router = APIRouter(prefix="/_sim/events", tags=["simulator events"])


@router.post("/inbox", response_model=EventReceipt)
async def receive_event(
    request: Request,
    state: StateDep,
    x_signature_timestamp: Annotated[str | None, Header()] = None,
    x_signature: Annotated[str | None, Header()] = None,
) -> EventReceipt:
    """An event from Campaign Executor: signature checked, kept once per id."""
    inbox = state.events_inbox
    if inbox.down:
        inbox.refused += 1
        raise PlatformHTTPError(inbox.down_status, "SERVICE_UNAVAILABLE", "The receiver is down.")
    body = await request.body()
    problem = inbox.signature_problem(x_signature_timestamp, x_signature, body)
    if problem:
        inbox.rejected += 1
        raise unauthorized(problem)
    try:
        payload = json.loads(body)
        received = inbox.accept(payload, state.clock.now())
    except (ValueError, KeyError, TypeError):
        inbox.rejected += 1
        raise PlatformHTTPError(
            422, "INVALID_REQUEST", "An event is a JSON object with an id."
        ) from None
    return EventReceipt(id=received.id, duplicate=received.deliveries > 1)


@router.get("", response_model=ReceivedEventsView)
async def list_received_events(
    state: StateDep, campaign_id: Annotated[str | None, Query(alias="campaignId")] = None
) -> ReceivedEventsView:
    """Every event accepted since the last reset, once per id, in the order first received."""
    inbox = state.events_inbox
    events = [
        ReceivedEventView.model_validate(event)
        for event in inbox.events.values()
        if campaign_id is None or event.payload.get("campaignId") == campaign_id
    ]
    return ReceivedEventsView(
        events=events,
        duplicates=sum(event.deliveries - 1 for event in events),
        refused=inbox.refused,
        rejected=inbox.rejected,
    )


@router.get("/receiver", response_model=EventsReceiverView)
async def read_receiver(state: StateDep) -> EventsReceiverView:
    """Whether the receiver is down."""
    inbox = state.events_inbox
    return EventsReceiverView(down=inbox.down, down_status=inbox.down_status)


@router.put("/receiver", response_model=EventsReceiverView)
async def configure_receiver(
    settings: EventsReceiverSettings, state: StateDep
) -> EventsReceiverView:
    """Take the receiver down (every delivery answers `downStatus`) or bring it back; change
    the secret it checks signatures with."""
    inbox = state.events_inbox
    inbox.down = settings.down
    inbox.down_status = settings.down_status
    if settings.secret is not None:
        inbox.secret = settings.secret
    return await read_receiver(state)
