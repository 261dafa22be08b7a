"""The simulator's clock: the wall clock, shifted by `offsetSeconds` (`PUT /_sim/clock`).

Tests that run Campaign Executor on Temporal's time-skipping server, where days pass in
seconds, can also let each post carry its own time in an `X-Sim-Time` header
(`acceptTimeHeader`), so the chats and the sending limits follow the campaign's clock. The
real platform has none of this.
"""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from simulator.errors import PlatformHTTPError


class ClockSettings(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    offset_seconds: float = Field(default=0.0, ge=-10 * 365 * 86_400, le=10 * 365 * 86_400)
    accept_time_header: bool = False


class SimClock:
    def __init__(self) -> None:
        self.settings = ClockSettings()

    def configure(self, settings: ClockSettings) -> None:
        self.settings = settings.model_copy()

    def clear(self) -> None:
        self.configure(ClockSettings())

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.settings.offset_seconds)

    def post_time(self, header: str | None) -> datetime:
        """When a post happens: its `X-Sim-Time` when accepted, else the clock's now."""
        if header is None or not self.settings.accept_time_header:
            return self.now()
        try:
            moment = datetime.fromisoformat(header)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise PlatformHTTPError(
                422, "INVALID_REQUEST", "X-Sim-Time must be an ISO-8601 time with a zone."
            )
        return moment.astimezone(UTC)
