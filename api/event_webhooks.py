"""The events we post to the platform, declared in the OpenAPI document's `webhooks` section
(OpenAPI 3.1): one entry per event type, with its payload's schema and an example.

Documentation only: nothing here serves a request. The deliverer posts them
(activities/event_delivery.py); docs/events.md explains delivery, order and signatures.
"""

# No `from __future__ import annotations`: FastAPI reads each receiver's annotations, which
# name the loop's payload model.

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header

from campaigns.outbound_events import EVENT_TYPES, PAYLOAD_MODELS, event_payload

_EXAMPLE_CAMPAIGN = "0b6f4bb8-5a7e-4f55-9a4e-3c2f1d7e9a10"
_EXAMPLE_DATA: dict[str, tuple[int | None, dict[str, Any]]] = {
    "STARTED": (None, {"steps": 6}),
    "MESSAGE_SENT": (2, {"message_id": 73}),
    "STEP_SKIPPED": (1, {"reason": "The candidate has no LinkedIn profile"}),
    "STEP_FAILED": (4, {"reason": "POSSIBLY_SENT"}),
    "CHANNEL_WAITING": (1, {"reason": "LinkedIn is logged out", "cause": "LOGGED_OUT"}),
    "PAUSED": (None, {}),
    "RESUMED": (None, {}),
    "ENDED": (None, {"reason": "REPLIED"}),
}

_DESCRIPTION = (
    "POSTed to `EVENTS_WEBHOOK_URL`, signed like the platform's webhooks to us: "
    "`X-Signature: sha256=<hex HMAC-SHA256(secret, f'{X-Signature-Timestamp}.' + raw body)>`. "
    "Answer 2xx to accept; anything else (or no answer in 10 s) is retried with backoff until "
    "accepted. At least once: dedupe by `id`. Per campaign, `sequence` runs 1, 2, 3… without "
    "gaps, and events arrive in that order."
)


def _example(kind: str, sequence: int) -> dict[str, Any]:
    node_id, data = _EXAMPLE_DATA[kind]
    return event_payload(
        campaign_id=_EXAMPLE_CAMPAIGN,
        sequence=sequence,
        kind=kind,
        at=datetime(2026, 6, 1, 9, 30, tzinfo=UTC),
        node_id=node_id,
        data=data,
        owner_user_id=1,
        role_id=10,
        candidate_id=1001,
    )


def declare_event_webhooks(app: FastAPI) -> None:
    """Add every event type to `app.webhooks`."""
    for sequence, (kind, event_type) in enumerate(EVENT_TYPES.items(), start=1):
        model = PAYLOAD_MODELS[event_type]
        example = {"example": {"value": _example(kind, sequence)}}

        async def receive(
            event: Annotated[model, Body(openapi_examples=example)],  # type: ignore[valid-type]
            x_signature: Annotated[str, Header()],
            x_signature_timestamp: Annotated[str, Header()],
        ) -> None:
            """The platform's endpoint receives it."""

        app.webhooks.post(
            event_type, summary=event_type, description=_DESCRIPTION, status_code=204
        )(receive)
