"""The slot planner: limits over rolling windows, pacing with reproducible jitter, the send
window, and why a send waits. Property tests check the rules over random ledgers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from campaigns.definition import ChannelType, MessageChannel
from campaigns.send_window import SendSchedule, is_open
from campaigns.sending_limits import (
    LIMIT_MARGIN,
    SEND_KIND_OF,
    Booked,
    Limit,
    LimitWindow,
    Pacing,
    SendingLimits,
    SendingSettings,
    SendKind,
    WaitReason,
    describe_no_slot,
    describe_wait,
    jitter_fraction,
    plan_slot,
)

CONNECT = SendKind.LINKEDIN_CONNECTION_REQUEST
MESSAGE = SendKind.LINKEDIN_MESSAGE
EMAIL = SendKind.EMAIL
ALWAYS = SendSchedule(weekdays=("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), end="24:00")
MONDAY = datetime(2025, 6, 2, 9, tzinfo=UTC)


def plan(booked: list[Booked], kind: SendKind, *, limits: list[Limit], gap: int = 0, **kw):  # type: ignore[no-untyped-def]
    return plan_slot(
        booked=booked,
        kind=kind,
        limits=limits,
        gap=timedelta(seconds=gap),
        schedule=kw.pop("schedule", ALWAYS),
        now=kw.pop("now", MONDAY),
        **kw,
    )


def fill(count: int, kind: SendKind, start: datetime, step: timedelta) -> list[Booked]:
    return [Booked(start + n * step, kind) for n in range(count)]


def test_every_message_channel_counts_against_one_kind_of_one_account() -> None:
    assert SEND_KIND_OF[MessageChannel.GMAIL] is SEND_KIND_OF[MessageChannel.EMAIL] is EMAIL
    assert set(SEND_KIND_OF) == set(MessageChannel)
    kinds = {limit.kind for limit in SendingLimits().all()}
    assert kinds == set(SendKind)


def test_a_free_account_sends_now() -> None:
    result = plan([], EMAIL, limits=SendingLimits().for_kind(EMAIL), gap=60)
    assert result.at == MONDAY and result.reason is None


def test_a_full_week_waits_until_the_oldest_request_is_a_week_old() -> None:
    weekly = [Limit(CONNECT, LimitWindow.WEEK, 3)]
    booked = fill(3, CONNECT, MONDAY - timedelta(days=2), timedelta(hours=1))
    result = plan(booked, CONNECT, limits=weekly)
    assert result.at == booked[0].at + timedelta(days=7) + LIMIT_MARGIN
    assert result.reason is WaitReason.WEEKLY_LIMIT


def test_a_full_day_waits_for_the_rolling_24_hours_not_for_midnight() -> None:
    daily = [Limit(EMAIL, LimitWindow.DAY, 2)]
    booked = [
        Booked(MONDAY - timedelta(hours=20), EMAIL),
        Booked(MONDAY - timedelta(hours=1), EMAIL),
    ]
    result = plan(booked, EMAIL, limits=daily)
    assert result.at == MONDAY + timedelta(hours=4) + LIMIT_MARGIN
    assert result.reason is WaitReason.DAILY_LIMIT


def test_a_send_is_not_slipped_in_before_future_sends_that_fill_its_window() -> None:
    daily = [Limit(EMAIL, LimitWindow.DAY, 2)]
    booked = fill(2, EMAIL, MONDAY + timedelta(hours=2), timedelta(hours=1))
    result = plan(booked, EMAIL, limits=daily)
    # Any slot before them would share a day with both, so it goes after the first leaves.
    assert result.at is not None and result.at >= booked[0].at + timedelta(days=1)


def test_other_kinds_of_the_account_share_pacing_but_not_limits() -> None:
    limits = SendingLimits(linkedin_connection_requests_per_week=2).all()
    booked = fill(2, CONNECT, MONDAY - timedelta(hours=1), timedelta(minutes=10))
    assert plan(booked, CONNECT, limits=limits).reason is WaitReason.WEEKLY_LIMIT
    message = plan(booked, MESSAGE, limits=limits, gap=3600)
    assert message.at == booked[-1].at + timedelta(hours=1)
    assert message.reason is WaitReason.PACING


def test_sends_due_together_are_spaced_by_the_gap() -> None:
    booked: list[Booked] = []
    for _ in range(5):
        result = plan(booked, EMAIL, limits=SendingLimits().for_kind(EMAIL), gap=90)
        assert result.at is not None
        booked.append(Booked(result.at, EMAIL))
    times = [b.at for b in booked]
    assert times == [MONDAY + n * timedelta(seconds=90) for n in range(5)]


def test_a_released_slot_between_bookings_is_used_again() -> None:
    booked = fill(5, EMAIL, MONDAY, timedelta(minutes=2))
    del booked[2]
    result = plan(booked, EMAIL, limits=SendingLimits().for_kind(EMAIL), gap=120)
    assert result.at == MONDAY + timedelta(minutes=4)


def test_jitter_is_reproducible_from_the_reservation_key_and_within_bounds() -> None:
    pacing = Pacing(email_min_gap_seconds=60, email_jitter_seconds=60)
    gaps = [pacing.gap_for(ChannelType.EMAIL, f"campaign-{n}:1") for n in range(200)]
    assert gaps == [pacing.gap_for(ChannelType.EMAIL, f"campaign-{n}:1") for n in range(200)]
    assert all(timedelta(seconds=60) <= gap < timedelta(seconds=120) for gap in gaps)
    assert len(set(gaps)) > 150  # spread out, not on a beat
    assert 0.0 <= jitter_fraction("x") < 1.0
    linkedin = pacing.gap_for(ChannelType.LINKEDIN, "k")
    assert linkedin == timedelta(seconds=120 + 120 * jitter_fraction("k"))


def test_the_reason_is_what_delayed_the_send_most() -> None:
    schedule = SendSchedule(time_zone="Europe/Brussels")
    friday_evening = datetime(2025, 6, 6, 16, tzinfo=UTC)
    result = plan([], EMAIL, limits=[], schedule=schedule, now=friday_evening)
    assert result.reason is WaitReason.WINDOW_CLOSED
    assert result.at == datetime(2025, 6, 9, 7, tzinfo=UTC)
    # A weekly limit freeing on Sunday night moves to Monday's window, and is still the reason.
    weekly = [Limit(CONNECT, LimitWindow.WEEK, 1)]
    booked = [Booked(datetime(2025, 6, 1, 20, tzinfo=UTC), CONNECT)]
    result = plan(booked, CONNECT, limits=weekly, schedule=schedule, now=MONDAY)
    assert result.reason is WaitReason.WEEKLY_LIMIT
    assert result.at == datetime(2025, 6, 9, 7, tzinfo=UTC)


def test_no_slot_before_the_deadline_says_why() -> None:
    weekly = [Limit(CONNECT, LimitWindow.WEEK, 1)]
    booked = [Booked(MONDAY - timedelta(hours=1), CONNECT)]
    result = plan(booked, CONNECT, limits=weekly, not_after=MONDAY + timedelta(days=3))
    assert result.at is None and result.reason is WaitReason.WEEKLY_LIMIT
    closed = plan([], EMAIL, limits=[], schedule=SendSchedule(weekdays=()))
    assert closed.at is None and closed.reason is WaitReason.WINDOW_CLOSED
    assert describe_no_slot(WaitReason.WEEKLY_LIMIT, CONNECT) == (
        "Not sent: the LinkedIn weekly connection request limit leaves no free slot "
        "before the campaign's 30-day limit"
    )


def test_waits_are_worded_for_people() -> None:
    zone = SendSchedule(time_zone="Europe/Brussels")
    tuesday = datetime(2025, 6, 3, 7, 12, tzinfo=UTC)
    words = {
        reason: describe_wait(reason, CONNECT, tuesday, zone, now=MONDAY) for reason in WaitReason
    }
    assert words == {
        WaitReason.WINDOW_CLOSED: "Waiting for the send window — opens Tue 09:12 (Europe/Brussels)",
        WaitReason.WEEKLY_LIMIT: "LinkedIn weekly connection request limit reached — "
        "next slot Tue 09:12 (Europe/Brussels)",
        WaitReason.DAILY_LIMIT: "LinkedIn daily connection request limit reached — "
        "next slot Tue 09:12 (Europe/Brussels)",
        WaitReason.PACING: "Pacing LinkedIn sends — next slot Tue 09:12 (Europe/Brussels)",
    }
    assert describe_wait(WaitReason.DAILY_LIMIT, EMAIL, tuesday, zone, now=MONDAY).startswith(
        "Email daily limit reached"
    )


def test_settings_refuse_limits_above_the_platforms_ceilings_naming_the_field() -> None:
    with pytest.raises(ValidationError) as raised:
        SendingSettings.model_validate(
            {"limits": {"emailsPerDay": 5000, "linkedinConnectionRequestsPerWeek": 0}}
        )
    fields = {".".join(map(str, e["loc"])): e["msg"] for e in raised.value.errors()}
    assert fields == {
        "limits.emailsPerDay": "Input should be less than or equal to 2000",
        "limits.linkedinConnectionRequestsPerWeek": "Input should be greater than or equal to 1",
    }
    assert SendingSettings.model_validate({}) == SendingSettings()


# --- properties ----------------------------------------------------------------------------

SCHEDULES = [
    ALWAYS,
    SendSchedule(time_zone="Europe/Brussels", start="09:00", end="12:00"),
    SendSchedule(time_zone="America/New_York", weekdays=("TUE", "SAT"), start="22:00", end="24:00"),
]

request = st.tuples(
    st.sampled_from(list(SendKind)),
    st.integers(min_value=0, max_value=14 * 24 * 60),  # when it is asked, minutes after start
    st.booleans(),  # release a random earlier booking first
)


def _max_in_any_window(times: list[datetime], length: timedelta) -> int:
    times = sorted(times)
    return max(
        (sum(1 for other in times if end - length < other <= end) for end in times), default=0
    )


@settings(max_examples=150, deadline=None)
@given(
    schedule=st.sampled_from(SCHEDULES),
    weekly=st.integers(min_value=1, max_value=6),
    daily=st.integers(min_value=1, max_value=3),
    gap_minutes=st.integers(min_value=0, max_value=180),
    requests=st.lists(request, min_size=1, max_size=40),
    picks=st.randoms(use_true_random=False),
)
def test_no_rolling_window_ever_exceeds_its_limit_gaps_hold_and_slots_are_in_the_window(
    schedule: SendSchedule,
    weekly: int,
    daily: int,
    gap_minutes: int,
    requests: list[tuple[SendKind, int, bool]],
    picks,  # type: ignore[no-untyped-def]
) -> None:
    limits = SendingLimits(
        linkedin_connection_requests_per_week=weekly,
        linkedin_connection_requests_per_day=daily,
        linkedin_messages_per_day=daily,
        emails_per_day=daily + 1,
    ).all()
    gap = timedelta(minutes=gap_minutes)
    booked: list[Booked] = []
    for kind, minute, release in requests:
        if release and booked:
            booked.pop(picks.randrange(len(booked)))
        now = MONDAY + timedelta(minutes=minute)
        not_after = now + timedelta(days=30)
        result = plan_slot(
            booked=booked, kind=kind, limits=limits, gap=gap, schedule=schedule, now=now,
            not_after=not_after,
        )  # fmt: skip
        if result.at is None:
            continue
        assert now <= result.at <= not_after
        assert is_open(schedule, result.at)
        assert (result.at == now) == (result.reason is None)
        booked.append(Booked(result.at, kind))

    times = sorted(b.at for b in booked)
    assert all(later - earlier >= gap for earlier, later in zip(times, times[1:], strict=False))
    for limit in limits:
        of_kind = [b.at for b in booked if b.kind is limit.kind]
        assert _max_in_any_window(of_kind, limit.window.length) <= limit.max_sends, limit
