"""The platform's receiver of Campaign Executor's events (its outbound webhooks to us).

Keeps every event it accepted, once per id with a count of deliveries, in arrival order, and
can be told to refuse everything (`down`) to play an outage. Signatures are checked as the
platform would: HMAC-SHA256 over `"{timestamp}." + raw body` (simulator/webhooks.py::sign).
"""

import hmac
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator.webhooks import sign

MAX_SIGNATURE_AGE_SECONDS = 300


@dataclass
class ReceivedEvent:
    id: str
    payload: dict[str, Any]
    first_received_at: datetime
    deliveries: int = 1


@dataclass
class EventsInbox:
    secret: str
    down: bool = False
    down_status: int = 503
    events: dict[str, ReceivedEvent] = field(default_factory=dict)  # by id, in arrival order
    refused: int = 0  # deliveries answered `down_status`
    rejected: int = 0  # deliveries with a bad signature or body

    def clear(self) -> None:
        """Forget what was received and come back up; the secret stays."""
        self.down = False
        self.down_status = 503
        self.events = {}
        self.refused = 0
        self.rejected = 0

    def signature_problem(self, timestamp: str | None, signature: str | None, body: bytes) -> str:
        """Why the signature is not acceptable ("" when it is)."""
        if not timestamp or not signature:
            return "X-Signature-Timestamp and X-Signature are required."
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SIGNATURE_AGE_SECONDS:
            return "X-Signature-Timestamp is not a recent Unix time."
        if not hmac.compare_digest(sign(self.secret, int(timestamp), body), signature):
            return "X-Signature does not match."
        return ""

    def accept(self, payload: dict[str, Any], now: datetime) -> ReceivedEvent:
        event_id = str(payload["id"])
        received = self.events.get(event_id)
        if received is None:
            received = self.events[event_id] = ReceivedEvent(event_id, payload, now)
        else:
            received.deliveries += 1
        return received
