"""Injected failures of `POST /channel/{id}/chat/{id}/message`, set through `/_sim/faults`.

Reads (`GET /channel`, a chat's messages) only wait `readLatencyMs`.
Per post, in this order: `latencyMs` delay; then at most one rejection, checked as
`rateLimitCount` (429), `errorCount` (`errorStatus`), `errorRate` (`errorStatus`),
`malformedResponseCount` (200 with a non-JSON body); all before anything is recorded.
A post that succeeds may then be hit by `acceptThenTimeoutCount`: the message is
recorded, the answer waits `hangSeconds`. Counters decrement as they are consumed.
"""

import logging
import random
from dataclasses import dataclass
from http import HTTPStatus

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

logger = logging.getLogger(__name__)


class FaultSettings(BaseModel):
    """The current faults; fields left out of a `PUT /_sim/faults` mean "no fault"."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    error_count: int = Field(default=0, ge=0)
    error_status: int = Field(default=503, ge=400, le=599)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    # Delay before every read of a chat or of the channel list (the posts keep `latency_ms`).
    read_latency_ms: int = Field(default=0, ge=0, le=120_000)
    accept_then_timeout_count: int = Field(default=0, ge=0)
    hang_seconds: float = Field(default=10.0, ge=0.0, le=300.0)
    rate_limit_count: int = Field(default=0, ge=0)
    retry_after_seconds: int = Field(default=1, ge=0)
    malformed_response_count: int = Field(default=0, ge=0)
    # Only posts to this channel are affected; None = every channel.
    channel_id: int | None = None


@dataclass(frozen=True)
class InjectedRejection:
    status_code: int
    code: str
    detail: str
    headers: dict[str, str]


class FaultInjector:
    def __init__(self, random_seed: int) -> None:
        self._random_seed = random_seed
        self.settings = FaultSettings()
        self._random = random.Random(random_seed)

    def configure(self, settings: FaultSettings) -> None:
        # Reseeding on every change makes a given fault configuration replay identically.
        self.settings = settings.model_copy()
        self._random = random.Random(self._random_seed)

    def clear(self) -> None:
        self.configure(FaultSettings())

    def latency_seconds(self, channel_id: int) -> float:
        if not self._applies_to(channel_id):
            return 0.0
        return self.settings.latency_ms / 1000

    def read_latency_seconds(self) -> float:
        return self.settings.read_latency_ms / 1000

    def take_rejection(self, channel_id: int) -> InjectedRejection | None:
        if not self._applies_to(channel_id):
            return None
        faults = self.settings
        if faults.rate_limit_count > 0:
            faults.rate_limit_count -= 1
            logger.info("fault: rate limiting a post to channel %s", channel_id)
            return InjectedRejection(
                status_code=429,
                code="RATE_LIMITED",
                detail="Too many requests; retry later.",
                headers={"Retry-After": str(faults.retry_after_seconds)},
            )
        if faults.error_count > 0:
            faults.error_count -= 1
            return self._error(channel_id)
        if faults.error_rate > 0 and self._random.random() < faults.error_rate:
            return self._error(channel_id)
        return None

    def take_malformed_response(self, channel_id: int) -> bool:
        if not self._applies_to(channel_id) or self.settings.malformed_response_count <= 0:
            return False
        self.settings.malformed_response_count -= 1
        logger.info("fault: malformed answer to a post to channel %s", channel_id)
        return True

    def take_hang(self, channel_id: int) -> float | None:
        """Seconds to hold back the answer of a post that was just accepted, if any."""
        if not self._applies_to(channel_id) or self.settings.accept_then_timeout_count <= 0:
            return None
        self.settings.accept_then_timeout_count -= 1
        logger.info("fault: accepted a post to channel %s, now hanging", channel_id)
        return self.settings.hang_seconds

    def _applies_to(self, channel_id: int) -> bool:
        return self.settings.channel_id is None or self.settings.channel_id == channel_id

    def _error(self, channel_id: int) -> InjectedRejection:
        status = self.settings.error_status
        logger.info("fault: answering %s to a post to channel %s", status, channel_id)
        try:
            code = HTTPStatus(status).name
        except ValueError:
            code = "INJECTED_FAULT"
        return InjectedRejection(
            status_code=status, code=code, detail="Injected platform failure.", headers={}
        )
