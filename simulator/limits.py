"""Sending limits the way LinkedIn and Gmail enforce them, set through `/_sim/limits`.

Per channel, outbound messages are counted over a rolling window: LinkedIn messages over 7
days, emails over 24 hours, including sends the user made elsewhere
(`POST /_sim/channels/{id}/external-sends`). A post that would go over the limit is refused
before anything is recorded: with 429 `RATE_LIMITED` and a `Retry-After` for when a slot frees
(`overLimit: RATE_LIMIT`), or by restricting the channel, which then needs the user to log in
again (`overLimit: RESTRICT`: status `ERROR_CREDENTIALS`, the channel webhook, and 409). Off by
default.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# By channel type (the platform's EMAIL and LINKEDIN).
WINDOWS: dict[str, timedelta] = {
    "LINKEDIN": timedelta(days=7),
    "EMAIL": timedelta(days=1),
}


class LimitSettings(BaseModel):
    """Fields left out of a `PUT /_sim/limits` mean "no limit" (and `RATE_LIMIT`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    # Outbound messages per LinkedIn channel in any 7 days (LinkedIn's weekly invitations).
    linkedin_per_week: int | None = Field(default=None, ge=0)
    # Outbound messages per email channel in any 24 hours (Gmail's daily sending limit).
    email_per_day: int | None = Field(default=None, ge=0)
    over_limit: Literal["RATE_LIMIT", "RESTRICT"] = "RATE_LIMIT"

    def limit_for(self, channel_type: str) -> int | None:
        return self.linkedin_per_week if channel_type == "LINKEDIN" else self.email_per_day


@dataclass(frozen=True)
class Breach:
    limit: int
    window: timedelta
    retry_after_seconds: int


@dataclass
class LimitEnforcer:
    settings: LimitSettings = field(default_factory=LimitSettings)
    # Sends made outside Campaign Executor, per channel id; they count like ours.
    external: dict[int, list[datetime]] = field(default_factory=dict)
    # Posts refused for a limit, per channel id.
    refused: dict[int, int] = field(default_factory=dict)

    def configure(self, settings: LimitSettings) -> None:
        self.settings = settings.model_copy()

    def clear(self) -> None:
        self.settings = LimitSettings()
        self.external = {}
        self.refused = {}

    def record_external(self, channel_id: int, times: list[datetime]) -> None:
        self.external.setdefault(channel_id, []).extend(times)

    def sends(self, channel_id: int, ours: list[datetime]) -> list[datetime]:
        return sorted([*ours, *self.external.get(channel_id, [])])

    def breach(self, channel_type: str, sent: list[datetime], at: datetime) -> Breach | None:
        """Would one more send at `at` put more than the limit in the window ending at `at`?"""
        limit = self.settings.limit_for(channel_type)
        if limit is None:
            return None
        window = WINDOWS[channel_type]
        inside = [moment for moment in sent if at - window < moment <= at]
        if len(inside) < limit:
            return None
        # A slot frees when enough of the window's oldest sends have left it.
        frees_at = inside[len(inside) - limit] + window if limit else at + window
        return Breach(limit, window, max(1, math.ceil((frees_at - at).total_seconds())))

    def note_refusal(self, channel_id: int) -> None:
        self.refused[channel_id] = self.refused.get(channel_id, 0) + 1


def peak_in_window(sent: list[datetime], window: timedelta) -> int:
    """The most sends any rolling window of this length ever held."""
    sent = sorted(sent)
    start = 0
    peak = 0
    for end, moment in enumerate(sent):
        while sent[start] <= moment - window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak
