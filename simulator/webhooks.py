"""Signed webhook delivery to Campaign Executor: one attempt, the outcome is logged, never raised.

Signature: `X-Signature-Timestamp: <unix seconds>` and
`X-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.".encode() + raw_body)>`.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from simulator.schemas import WebhookResult
from simulator.state import ChannelRecord, SimulatorState, WebhookDelivery, WebhookKind

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 5.0


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The `X-Signature` header value for a body sent at `timestamp`."""
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


def isoformat_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with a `Z`, the same text the platform API's JSON uses."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def webhook_url(base_url: str, kind: WebhookKind) -> str:
    return f"{base_url.rstrip('/')}/webhooks/{kind}"


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def deliver(
        self, *, base_url: str, secret: str, kind: WebhookKind, payload: dict[str, Any]
    ) -> WebhookDelivery:
        url = webhook_url(base_url, kind)
        raw_body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "X-Signature-Timestamp": str(timestamp),
            "X-Signature": sign(secret, timestamp, raw_body),
        }
        status_code: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(
                url, content=raw_body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS
            )
            status_code = response.status_code
            if not response.is_success:
                error = f"webhook answered HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if error is not None:
            logger.warning("%s webhook to %s not delivered: %s", kind, url, error)
        return WebhookDelivery(
            kind=kind,
            url=url,
            payload=payload,
            status_code=status_code,
            error=error,
            attempted_at=datetime.now(UTC),
        )


def channel_payload(channel: ChannelRecord, changed_at: datetime) -> dict[str, Any]:
    """The channel webhook's body: a channel's status changed."""
    return {
        "channelId": channel.id,
        "userId": channel.user_id,
        "type": channel.type,
        "status": channel.status,
        "changedAt": isoformat_utc(changed_at),
    }


async def notify(
    state: SimulatorState,
    sender: WebhookSender,
    kind: WebhookKind,
    payload: dict[str, Any],
    *,
    requested: bool = True,
) -> WebhookResult:
    """Deliver a webhook to the configured URL and log it; the outcome, never an error."""
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
