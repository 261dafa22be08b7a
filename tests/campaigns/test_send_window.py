"""Send windows: weekdays and hours in the user's time zone, holidays, both daylight-saving
changes in two time zones, and a window that never opens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from campaigns.send_window import (
    SendSchedule,
    describe_window_wait,
    is_open,
    next_open,
)

EVERY_DAY = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def schedule(**fields: object) -> SendSchedule:
    return SendSchedule.model_validate(fields)


# --- daylight-saving changes ---------------------------------------------------------------

# (zone, the Sunday the clocks change, UTC opening of 09:00 before, UTC opening after)
DST_CHANGES = [
    ("Europe/Brussels", date(2025, 3, 30), utc(2025, 3, 29, 8), utc(2025, 3, 31, 7)),
    ("Europe/Brussels", date(2025, 10, 26), utc(2025, 10, 25, 7), utc(2025, 10, 27, 8)),
    ("America/New_York", date(2025, 3, 9), utc(2025, 3, 8, 14), utc(2025, 3, 10, 13)),
    ("America/New_York", date(2025, 11, 2), utc(2025, 11, 1, 13), utc(2025, 11, 3, 14)),
]


@pytest.mark.parametrize(("zone", "change_day", "opens_before", "opens_after"), DST_CHANGES)
def test_nine_oclock_stays_nine_oclock_local_across_each_dst_change(
    zone: str, change_day: date, opens_before: datetime, opens_after: datetime
) -> None:
    window = schedule(timeZone=zone, weekdays=EVERY_DAY, start="09:00", end="17:00")
    saturday_night = opens_before + timedelta(hours=10)
    sunday_opening = next_open(window, saturday_night)
    assert sunday_opening is not None
    assert sunday_opening.astimezone(window.zone).hour == 9
    assert sunday_opening.astimezone(window.zone).date() == change_day
    assert next_open(window, opens_before - timedelta(hours=1)) == opens_before
    assert next_open(window, sunday_opening + timedelta(hours=9)) == opens_after
    # Eight local hours every day, the change day included.
    for day in (change_day - timedelta(days=1), change_day, change_day + timedelta(days=1)):
        opens, closes = window.window_on(day)
        assert closes - opens == timedelta(hours=8)


@pytest.mark.parametrize(("zone", "change_day", "hours"), [
    ("Europe/Brussels", date(2025, 3, 30), 5),
    ("Europe/Brussels", date(2025, 10, 26), 7),
    ("America/New_York", date(2025, 3, 9), 5),
    ("America/New_York", date(2025, 11, 2), 7),
])  # fmt: skip
def test_a_window_across_the_change_is_an_hour_shorter_in_spring_and_longer_in_autumn(
    zone: str, change_day: date, hours: int
) -> None:
    night = schedule(timeZone=zone, weekdays=EVERY_DAY, start="00:00", end="06:00")
    opens, closes = night.window_on(change_day)
    assert closes - opens == timedelta(hours=hours)
    assert is_open(night, closes - timedelta(seconds=1))
    assert not is_open(night, closes)


def test_a_start_inside_the_spring_gap_opens_an_hour_later_like_a_calendar() -> None:
    # Brussels skips 02:00–03:00 on 30 March 2025; 02:30 is read with the winter offset.
    window = schedule(timeZone="Europe/Brussels", weekdays=["SUN"], start="02:30", end="05:00")
    opens = next_open(window, utc(2025, 3, 29, 12))
    assert opens == utc(2025, 3, 30, 1, 30)
    assert opens is not None and f"{opens.astimezone(window.zone):%H:%M}" == "03:30"


def test_a_start_that_happens_twice_in_autumn_means_the_first_time() -> None:
    # New York repeats 01:00–02:00 on 2 November 2025: 01:30 EDT comes first (05:30 UTC).
    window = schedule(timeZone="America/New_York", weekdays=["SUN"], start="01:30", end="04:00")
    assert next_open(window, utc(2025, 11, 1, 12)) == utc(2025, 11, 2, 5, 30)
    opens, closes = window.window_on(date(2025, 11, 2))
    assert closes - opens == timedelta(hours=3, minutes=30)


# --- weekdays, hours, holidays -------------------------------------------------------------


def test_inside_the_window_it_is_open_now() -> None:
    window = schedule(timeZone="Europe/Brussels")
    tuesday_noon = utc(2025, 6, 3, 10)
    assert next_open(window, tuesday_noon) == tuesday_noon
    assert is_open(window, tuesday_noon)


def test_friday_evening_waits_for_monday_morning() -> None:
    window = schedule(timeZone="Europe/Brussels")  # Mon–Fri 09:00–17:00
    friday_evening = utc(2025, 6, 6, 15, 30)  # 17:30 in Brussels
    assert next_open(window, friday_evening) == utc(2025, 6, 9, 7)
    assert not is_open(window, friday_evening)


def test_the_window_closes_at_its_end_and_reopens_the_next_weekday() -> None:
    window = schedule(timeZone="America/New_York", start="08:30", end="18:00")
    closing = utc(2025, 6, 3, 22)  # Tue 18:00 EDT
    assert is_open(window, closing - timedelta(microseconds=1))
    assert next_open(window, closing) == utc(2025, 6, 4, 12, 30)


def test_holidays_are_skipped_and_the_window_opens_after_them() -> None:
    window = schedule(timeZone="Europe/Brussels", skipDates=["2025-12-25", "2025-12-26"])
    christmas_eve_evening = utc(2025, 12, 24, 17)
    # Thu 25 and Fri 26 are skipped, then the weekend: Monday 29 December, 09:00 CET.
    assert next_open(window, christmas_eve_evening) == utc(2025, 12, 29, 8)


def test_a_skip_date_is_a_local_date() -> None:
    window = schedule(timeZone="America/New_York", weekdays=EVERY_DAY, skipDates=["2025-07-04"])
    # 01:00 UTC on 5 July is still 4 July, 21:00, in New York.
    assert next_open(window, utc(2025, 7, 4, 12)) == utc(2025, 7, 5, 13)


def test_midnight_as_end_keeps_the_window_open_to_the_end_of_the_day() -> None:
    window = schedule(timeZone="UTC", weekdays=["MON"], start="00:00", end="24:00")
    assert window.window_on(date(2025, 6, 2)) == (utc(2025, 6, 2), utc(2025, 6, 3))
    assert is_open(window, utc(2025, 6, 2, 23, 59, 59))
    assert next_open(window, utc(2025, 6, 3)) == utc(2025, 6, 9)


# --- windows that never open ---------------------------------------------------------------


def test_no_weekday_never_opens() -> None:
    window = schedule(weekdays=[])
    assert window.never_opens
    assert next_open(window, utc(2025, 6, 2)) is None


def test_a_window_skipped_for_the_whole_campaign_does_not_open_before_day_30() -> None:
    start = utc(2025, 6, 2, 10)
    holidays = [(start + timedelta(days=n)).date().isoformat() for n in range(31)]
    window = schedule(timeZone="Europe/Brussels", skipDates=holidays)
    day_30 = start + timedelta(days=30)
    assert not window.never_opens
    assert next_open(window, start, not_after=day_30) is None
    # It does open after the holidays: the caller can say when, and that it is too late.
    later = next_open(window, start)
    assert later is not None and later > day_30


def test_an_opening_exactly_at_the_limit_counts() -> None:
    window = schedule(timeZone="UTC")
    friday_evening = utc(2025, 6, 6, 18)
    monday_nine = utc(2025, 6, 9, 9)
    assert next_open(window, friday_evening, not_after=monday_nine) == monday_nine
    assert next_open(window, friday_evening, not_after=monday_nine - timedelta(seconds=1)) is None


# --- validation and wording ----------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({"timeZone": "Europe/Bruxelles"}, "timeZone", "unknown time zone 'Europe/Bruxelles'"),
    ({"weekdays": ["MON", "FUNDAY"]}, "weekdays", "Input should be 'MON'"),
    ({"start": "9am"}, "start", "should match pattern"),
    ({"end": "24:30"}, "end", "should match pattern"),
    ({"skipDates": ["2025-02-30"]}, "skipDates", "valid date"),
    ({"start": "17:00", "end": "09:00"}, "", "end: must be after start"),
    ({"timezone": "UTC"}, "timezone", "Extra inputs are not permitted"),
])  # fmt: skip
def test_an_invalid_schedule_names_the_field_and_the_reason(
    fields: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        SendSchedule.model_validate(fields)
    errors = raised.value.errors()
    assert any(
        ".".join(str(part) for part in error["loc"]).startswith(field) and reason in error["msg"]
        for error in errors
    ), errors


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_open(SendSchedule(), datetime(2025, 6, 2, 9))


def test_weekdays_and_skip_dates_are_kept_in_order_without_repeats() -> None:
    window = schedule(weekdays=["FRI", "MON", "FRI"], skipDates=["2025-12-26", "2025-12-25"])
    assert window.weekdays == ("MON", "FRI")
    assert window.skip_dates == (date(2025, 12, 25), date(2025, 12, 26))


def test_the_wait_says_when_the_window_opens_in_the_users_zone() -> None:
    window = schedule(timeZone="Europe/Brussels")
    friday_evening = utc(2025, 6, 6, 15, 30)
    opens = next_open(window, friday_evening)
    assert opens is not None
    assert (
        describe_window_wait(window, opens, now=friday_evening)
        == "Waiting for the send window — opens Mon 09:00 (Europe/Brussels)"
    )
    # A week or more ahead, the date is added.
    saturday = utc(2025, 12, 13, 12)
    holidays = [f"2025-12-{day}" for day in (15, 16, 17, 18, 19, 22)]
    away = schedule(timeZone="Europe/Brussels", skipDates=holidays)
    later = next_open(away, saturday)
    assert later is not None
    assert (
        describe_window_wait(away, later, now=saturday)
        == "Waiting for the send window — opens Tue 23 Dec 09:00 (Europe/Brussels)"
    )
