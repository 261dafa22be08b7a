"""The send ledger on SQLite and PostgreSQL: idempotent, atomic per account, exact under
many concurrent reservers (tasks and a second process), and releasable."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from campaigns.definition import ChannelType, MessageChannel
from campaigns.send_window import SendSchedule
from campaigns.sending_limits import (
    LIMIT_MARGIN,
    Pacing,
    ReservationStatus,
    ReserveRequest,
    SendingLimits,
    SendingSettings,
    SendKind,
    WaitReason,
    jitter_fraction,
)
from db.engine import SessionFactory
from db.ledger_models import ReservationState, SendReservation
from db.send_ledger import (
    KEEP_FOR,
    LATE_TOLERANCE,
    release,
    reserve,
    usage,
    waiting_sends,
)
from db.sending_settings import load_settings, save_settings
from devstack.commands import venv_binary

ALWAYS = SendSchedule(weekdays=("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), end="24:00")
NOW = datetime(2030, 1, 7, 10, tzinfo=UTC)  # a Monday
NO_PACING = Pacing(
    linkedin_min_gap_seconds=0, linkedin_jitter_seconds=0, email_min_gap_seconds=0,
    email_jitter_seconds=0,
)  # fmt: skip


def new_user() -> int:
    """A user id no other test uses (the databases are shared by the session)."""
    return 100_000 + uuid.uuid4().int % 2_000_000_000


def request(user_id: int, campaign_id: str | None = None, **fields: object) -> ReserveRequest:
    return ReserveRequest.model_validate(
        {
            "campaign_id": campaign_id or str(uuid.uuid4()),
            "node_id": 1,
            "user_id": user_id,
            "channel": MessageChannel.EMAIL,
            **fields,
        }
    )


async def configure(sessions: SessionFactory, user_id: int, **fields: object) -> SendingSettings:
    settings = SendingSettings.model_validate({"schedule": ALWAYS, "pacing": NO_PACING, **fields})
    async with sessions() as session, session.begin():
        await save_settings(session, user_id, settings, now=NOW)
    return settings


async def rows_of(sessions: SessionFactory, campaign_id: str) -> list[SendReservation]:
    async with sessions() as session:
        found = await session.scalars(
            select(SendReservation).where(SendReservation.campaign_id == campaign_id)
        )
        return list(found)


async def test_a_free_slot_is_ready_now_and_asking_again_finds_the_same_reservation(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    await configure(sessions, user)
    first = await reserve(sessions, request(user, "c-free"), now=NOW)
    assert first.status is ReservationStatus.READY
    assert first.send_at == NOW and first.wait == timedelta(0) and first.reason is None
    again = await reserve(sessions, request(user, "c-free"), now=NOW + timedelta(seconds=3))
    assert again.status is ReservationStatus.READY and again.send_at == NOW
    assert len(await rows_of(sessions, "c-free")) == 1


async def test_sends_due_together_are_paced_with_the_keys_jitter(sessions: SessionFactory) -> None:
    user = new_user()
    pacing = Pacing(email_min_gap_seconds=60, email_jitter_seconds=60)
    await configure(sessions, user, pacing=pacing)
    first = await reserve(sessions, request(user, f"pace-a-{user}"), now=NOW)
    second = await reserve(sessions, request(user, f"pace-b-{user}"), now=NOW)
    assert first.status is ReservationStatus.READY
    assert second.status is ReservationStatus.WAIT and second.reason is WaitReason.PACING
    # The gap around the second send is its own: the minimum plus the jitter of its key.
    gap = pacing.gap_for(ChannelType.EMAIL, f"pace-b-{user}:1")
    assert second.send_at == NOW + gap
    assert second.wait == gap
    assert second.description == f"Pacing Email sends — next slot Mon {(NOW + gap):%H:%M} (UTC)"
    assert gap == timedelta(seconds=60 + 60 * jitter_fraction(f"pace-b-{user}:1"))


async def test_a_full_day_waits_for_the_oldest_send_to_leave_the_24_hours(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    await configure(sessions, user, limits=SendingLimits(emails_per_day=3))
    answers = [await reserve(sessions, request(user), now=NOW) for _ in range(4)]
    assert [a.status for a in answers[:3]] == [ReservationStatus.READY] * 3
    last = answers[3]
    assert last.status is ReservationStatus.WAIT and last.reason is WaitReason.DAILY_LIMIT
    assert last.send_at == NOW + timedelta(days=1) + LIMIT_MARGIN
    assert last.description == "Email daily limit reached — next slot Tue 10:01 (UTC)"


async def test_after_the_wait_the_same_call_is_ready_at_its_slot(sessions: SessionFactory) -> None:
    user = new_user()
    await configure(sessions, user, limits=SendingLimits(emails_per_day=1))
    await reserve(sessions, request(user), now=NOW)
    waiting = await reserve(sessions, request(user, "c-waits"), now=NOW)
    assert waiting.status is ReservationStatus.WAIT and waiting.send_at is not None
    woken = await reserve(sessions, request(user, "c-waits"), now=waiting.send_at)
    assert woken.status is ReservationStatus.READY and woken.send_at == waiting.send_at
    assert len(await rows_of(sessions, "c-waits")) == 1


async def test_a_slot_used_late_is_moved_to_now_when_nothing_was_sent_in_it(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    await configure(sessions, user)
    campaign = f"late-{user}"
    await reserve(sessions, request(user, campaign), now=NOW)
    late = NOW + LATE_TOLERANCE + timedelta(minutes=5)
    answer = await reserve(sessions, request(user, campaign), now=late)
    assert answer.status is ReservationStatus.READY and answer.send_at == late
    assert [(r.state, r.send_at) for r in await rows_of(sessions, campaign)] == [
        (ReservationState.RESERVED.value, late)
    ]


async def test_a_late_slot_an_earlier_attempt_may_have_used_stays_counted(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    await configure(sessions, user, limits=SendingLimits(emails_per_day=1))
    campaign = f"retry-{user}"
    await reserve(sessions, request(user, campaign), now=NOW)
    retry = request(user, campaign, earlier_attempt_may_have_sent=True)
    answer = await reserve(sessions, retry, now=NOW + timedelta(minutes=10))
    # The first slot may have carried the message: a day must pass before the next one.
    assert answer.status is ReservationStatus.WAIT and answer.reason is WaitReason.DAILY_LIMIT
    assert answer.send_at == NOW + timedelta(days=1) + LIMIT_MARGIN
    states = sorted(r.state for r in await rows_of(sessions, campaign))
    assert states == [ReservationState.RESERVED.value, ReservationState.RETIRED.value]


async def test_no_slot_before_the_30_day_limit_books_nothing(sessions: SessionFactory) -> None:
    user = new_user()
    await configure(sessions, user)
    closed = SendSchedule(weekdays=())
    answer = await reserve(
        sessions,
        request(user, "c-never", schedule=closed, not_after=NOW + timedelta(days=30)),
        now=NOW,
    )
    assert answer.status is ReservationStatus.NO_SLOT
    assert answer.reason is WaitReason.WINDOW_CLOSED and answer.send_at is None
    assert answer.description == (
        "Not sent: the send window does not open before the campaign's 30-day limit"
    )
    assert await rows_of(sessions, "c-never") == []


async def test_the_definitions_schedule_overrides_the_users(sessions: SessionFactory) -> None:
    user = new_user()
    await configure(sessions, user)
    brussels = SendSchedule(time_zone="Europe/Brussels", start="14:00", end="16:00")
    answer = await reserve(sessions, request(user, schedule=brussels), now=NOW)
    assert answer.status is ReservationStatus.WAIT and answer.reason is WaitReason.WINDOW_CLOSED
    assert answer.send_at == datetime(2030, 1, 7, 13, tzinfo=UTC)
    assert answer.description == "Waiting for the send window — opens Mon 14:00 (Europe/Brussels)"


async def test_release_frees_a_future_slot_for_the_next_send(sessions: SessionFactory) -> None:
    user = new_user()
    await configure(sessions, user, limits=SendingLimits(emails_per_day=1))
    await reserve(sessions, request(user, f"now-{user}"), now=NOW)
    ended = f"ended-{user}"
    booked = await reserve(sessions, request(user, ended), now=NOW)
    assert booked.status is ReservationStatus.WAIT
    assert await release(sessions, ended, now=NOW) == 1
    assert await rows_of(sessions, ended) == []
    following = await reserve(sessions, request(user), now=NOW + timedelta(hours=1))
    assert following.send_at == booked.send_at


async def test_release_leaves_a_slot_whose_time_has_come_unless_nothing_was_sent(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    await configure(sessions, user)
    campaign = f"inflight-{user}"
    await reserve(sessions, request(user, campaign), now=NOW)
    assert await release(sessions, campaign, node_id=1, now=NOW) == 0
    assert await release(sessions, campaign, node_id=2, now=NOW, sent_nothing=True) == 0
    assert await release(sessions, campaign, node_id=1, now=NOW, sent_nothing=True) == 1


async def test_old_reservations_are_pruned_as_the_account_reserves(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    await configure(sessions, user)
    old = f"old-{user}"
    await reserve(sessions, request(user, old), now=NOW - KEEP_FOR - timedelta(hours=1))
    await reserve(sessions, request(user), now=NOW)
    assert await rows_of(sessions, old) == []


async def test_usage_counts_each_limit_this_day_and_week_and_lists_the_waits(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    await configure(
        sessions,
        user,
        limits=SendingLimits(
            linkedin_connection_requests_per_week=5, linkedin_connection_requests_per_day=2
        ),
    )
    connect = {"channel": MessageChannel.LINKEDIN_CONNECTION_REQUEST}
    for day in (3, 1):
        await reserve(sessions, request(user, **connect), now=NOW - timedelta(days=day))
    for _ in range(3):
        await reserve(sessions, request(user, **connect), now=NOW)
    await reserve(sessions, request(user), now=NOW)

    limits = {(u.kind, u.window): u for u in await usage(sessions, user, now=NOW)}
    weekly = limits[(SendKind.LINKEDIN_CONNECTION_REQUEST, "WEEK")]
    daily = limits[(SendKind.LINKEDIN_CONNECTION_REQUEST, "DAY")]
    assert (weekly.used, weekly.queued, weekly.limit) == (4, 1, 5)
    assert (daily.used, daily.queued, daily.limit) == (2, 1, 2)
    assert daily.next_free_at is not None and daily.next_free_at > NOW + timedelta(days=1)
    email = limits[(SendKind.EMAIL, "DAY")]
    assert (email.used, email.queued, email.next_free_at) == (1, 0, NOW)
    assert limits[(SendKind.LINKEDIN_MESSAGE, "DAY")].used == 0
    only_email = await usage(sessions, user, now=NOW, accounts=[ChannelType.EMAIL])
    assert {u.account for u in only_email} == {ChannelType.EMAIL}

    waits = await waiting_sends(sessions, user, now=NOW)
    assert len(waits) == 1
    assert waits[0].kind is SendKind.LINKEDIN_CONNECTION_REQUEST
    assert waits[0].reason is WaitReason.DAILY_LIMIT
    assert waits[0].description is not None
    assert waits[0].description.startswith("LinkedIn daily connection request limit reached")


async def test_settings_default_until_saved_and_saving_replaces_them(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    async with sessions() as session:
        assert await load_settings(session, user) == (SendingSettings(), None)
    saved = await configure(sessions, user, limits=SendingLimits(emails_per_day=7))
    async with sessions() as session:
        assert await load_settings(session, user) == (saved, NOW)
    await configure(sessions, user)
    async with sessions() as session:
        settings, _ = await load_settings(session, user)
    assert settings.limits.emails_per_day == SendingLimits().emails_per_day


# --- concurrency ---------------------------------------------------------------------------


def _max_per_window(times: list[datetime], length: timedelta) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if end - length < t <= end) for end in times), default=0)


async def _live_times(sessions: SessionFactory, campaign_prefix: str) -> list[datetime]:
    async with sessions() as session:
        found = await session.scalars(
            select(SendReservation.send_at).where(
                SendReservation.campaign_id.like(f"{campaign_prefix}%")
            )
        )
        return list(found)


async def test_many_concurrent_reservers_never_exceed_a_limit_nor_double_book(
    sessions: SessionFactory,
) -> None:
    user = new_user()
    pacing = Pacing(email_min_gap_seconds=30, email_jitter_seconds=30)
    await configure(sessions, user, limits=SendingLimits(emails_per_day=12), pacing=pacing)
    prefix = f"burst-{user}-"
    campaigns = [f"{prefix}{n}" for n in range(40)]
    # Every campaign asks twice at once, as a retried activity might.
    calls = [reserve(sessions, request(user, c), now=NOW) for c in campaigns * 2]
    answers = await asyncio.gather(*calls)

    async with sessions() as session:
        per_key = await session.execute(
            select(SendReservation.campaign_id, func.count())
            .where(SendReservation.campaign_id.like(f"{prefix}%"))
            .group_by(SendReservation.campaign_id)
        )
        assert dict(per_key.all()) == dict.fromkeys(campaigns, 1)
    by_campaign = {}
    for campaign, answer in zip(campaigns * 2, answers, strict=True):
        by_campaign.setdefault(campaign, set()).add(answer.send_at)
    assert all(len(slots) == 1 for slots in by_campaign.values())

    times = sorted(await _live_times(sessions, prefix))
    assert _max_per_window(times, timedelta(days=1)) <= 12
    assert all(b - a >= timedelta(seconds=30) for a, b in zip(times, times[1:], strict=False))
    assert sum(1 for t in times if t < NOW + timedelta(days=1)) == 12
    assert sum(1 for a in answers if a.status is ReservationStatus.READY) == 2  # one key, twice


async def test_reservers_in_two_processes_share_one_exact_ledger(
    sessions: SessionFactory, database_url: str
) -> None:
    user = new_user()
    await configure(sessions, user, limits=SendingLimits(emails_per_day=15))
    other = await asyncio.create_subprocess_exec(
        venv_binary("python"),
        "-m",
        "tests.db.ledger_reservers",
        database_url,
        str(user),
        f"proc-{user}-b",
        "25",
        NOW.isoformat(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    here = asyncio.gather(
        *(reserve(sessions, request(user, f"proc-{user}-a-{n}"), now=NOW) for n in range(25))
    )
    (out, err), ours = await asyncio.gather(other.communicate(), here)
    assert other.returncode == 0, err.decode()
    theirs = json.loads(out)
    statuses = [a.status.value for a in ours] + theirs
    assert statuses.count("READY") == 15 and statuses.count("WAIT") == 35
    times = await _live_times(sessions, f"proc-{user}-")
    assert len(times) == 50
    assert _max_per_window(times, timedelta(days=1)) == 15
