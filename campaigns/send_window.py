"""When a user's messages may go out: a weekly window in their own time zone, minus holidays.

Pure and deterministic (no clock, no I/O): every function takes the instant it reasons about.
Local times are turned into instants by `zoneinfo` with the IANA database (the `tzdata`
package when the OS has none), so daylight-saving changes are the time-zone library's job:

- a window of 09:00–17:00 is eight local hours, so seven or nine UTC hours on the days the
  clocks change;
- a start or end inside the spring-forward gap (02:30 on a day that skips 02:00–03:00) is
  read with the offset before the change (PEP 495, and iCalendar's rule in RFC 5545): 02:30
  becomes 03:30, so a window wholly inside the gap is empty that day;
- a time that happens twice in autumn means its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from campaigns.camel_model import CamelModel

Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEKDAYS: tuple[Weekday, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Skip dates are at most a year and a day of holidays, so a schedule with at least one weekday
# opens within this horizon; `next_open` answering None over it means "never".
LOOKAHEAD = timedelta(days=400)
MAX_SKIP_DATES = 366
_LOCAL_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
_LOCAL_END_TIME = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"


class SendSchedule(CamelModel):
    """A weekly send window: `weekdays`, from `start` to `end` local time in `time_zone`,
    except on `skip_dates` (local dates). `end` may be "24:00" (midnight)."""

    time_zone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/Brussels")
    weekdays: tuple[Weekday, ...] = Field(default=WEEKDAYS[:5], max_length=7)
    start: str = Field(default="09:00", pattern=_LOCAL_TIME, description="HH:MM local time")
    end: str = Field(default="17:00", pattern=_LOCAL_END_TIME, description="HH:MM or 24:00")
    skip_dates: tuple[date, ...] = Field(default=(), max_length=MAX_SKIP_DATES)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Brussels"
            ) from None
        return value

    @field_validator("weekdays")
    @classmethod
    def _week_order(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        return tuple(day for day in WEEKDAYS if day in value)

    @field_validator("skip_dates")
    @classmethod
    def _sorted_dates(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _end_after_start(self) -> SendSchedule:
        if _minutes(self.end) <= _minutes(self.start):
            raise ScheduleRuleError("end", "must be after start (24:00 is midnight)")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def always_open(self) -> bool:
        """Every day, all day, no skip dates: the window never holds a send back."""
        return (
            len(self.weekdays) == 7
            and self.start == "00:00"
            and self.end == "24:00"
            and not self.skip_dates
        )

    @property
    def never_opens(self) -> bool:
        """No weekday at all: a schedule that no date can open."""
        return not self.weekdays

    def is_send_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.weekdays and day not in self.skip_dates

    def window_on(self, day: date) -> tuple[datetime, datetime]:
        """The UTC instants at which the window opens and closes on local date `day`
        (whether or not `day` is a send day)."""
        return (
            _local_instant(day, _minutes(self.start), self.zone),
            _local_instant(day, _minutes(self.end), self.zone),
        )


def any_time(time_zone: str = "UTC") -> SendSchedule:
    """A window that is always open: every day, 00:00–24:00."""
    return SendSchedule(time_zone=time_zone, weekdays=WEEKDAYS, start="00:00", end="24:00")


class ScheduleRuleError(ValueError):
    """A rule over several fields; names the field it is about."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def next_open(
    schedule: SendSchedule, at: datetime, *, not_after: datetime | None = None
) -> datetime | None:
    """The first instant at or after `at` inside the window; `at` itself when it is inside.

    None when the window does not open by `not_after` (default: `at` + 400 days, so None
    without `not_after` means the schedule never opens). `at` must be timezone-aware."""
    if at.tzinfo is None:
        raise ValueError("next_open needs a timezone-aware instant")
    at = at.astimezone(UTC)
    horizon = not_after if not_after is not None else at + LOOKAHEAD
    if schedule.never_opens or horizon < at:
        return None
    # A window never crosses local midnight, so none opened on an earlier date is still open.
    day = at.astimezone(schedule.zone).date()
    while True:
        opens, closes = schedule.window_on(day)
        if opens > horizon:
            return None
        if schedule.is_send_day(day) and closes > at:
            return max(opens, at)
        day += timedelta(days=1)


def is_open(schedule: SendSchedule, at: datetime) -> bool:
    return next_open(schedule, at, not_after=at) == at.astimezone(UTC)


def local_label(at: datetime, zone: ZoneInfo, *, now: datetime | None = None) -> str:
    """'Mon 09:00' in `zone`; 'Mon 3 Mar 09:00' when `at` is a week or more after `now`."""
    local = at.astimezone(zone)
    label = WEEKDAY_LABELS[local.weekday()]
    if now is not None and at - now >= timedelta(days=6, hours=12):
        label += f" {local.day} {MONTH_LABELS[local.month - 1]}"
    return f"{label} {local:%H:%M}"


def describe_opening(schedule: SendSchedule, opens_at: datetime, *, now: datetime) -> str:
    """'opens Mon 09:00 (Europe/Brussels)'."""
    return f"opens {local_label(opens_at, schedule.zone, now=now)} ({schedule.time_zone})"


def describe_window_wait(schedule: SendSchedule, opens_at: datetime, *, now: datetime) -> str:
    """'Waiting for the send window — opens Mon 09:00 (Europe/Brussels)'."""
    return f"Waiting for the send window — {describe_opening(schedule, opens_at, now=now)}"


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def _local_instant(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time; 24:00 is the next day's midnight."""
    days, minute = divmod(minute_of_day, 24 * 60)
    local = datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60), zone)
    return local.astimezone(UTC)
