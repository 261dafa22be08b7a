"""The send ledger: one durable, atomic reservation per send, per account.

`reserve` runs in one transaction that first locks the account's row (an upsert that updates
it: a row lock on PostgreSQL, the database's write lock on SQLite, taken before anything is
read), then reads the account's sends of the last week and those booked ahead, asks the pure
planner (`campaigns.sending_limits.plan_slot`) for the earliest allowed instant, and books it.
Reservers of one account therefore run one after the other, each seeing every booking made
before it, so no rolling window ever holds more than its limit, however many workers and
campaigns reserve at once; reservers of different accounts do not wait for each other (on
PostgreSQL).

The common case, a free slot now, is one transaction of six short statements inside the send
activity and no Temporal action. docs/sending-limits.md has the design and its costs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.camel_model import CamelModel
from campaigns.definition import ChannelType
from campaigns.send_window import SendSchedule
from campaigns.sending_limits import (
    ACCOUNT_OF_KIND,
    LIMIT_MARGIN,
    Booked,
    LimitWindow,
    Reservation,
    ReservationStatus,
    ReserveRequest,
    SendKind,
    WaitReason,
    describe_no_slot,
    describe_wait,
    plan_slot,
)
from db.engine import SessionFactory
from db.ledger_models import ReservationState, SendAccount, SendReservation
from db.sending_settings import load_settings
from db.upsert import dialect_insert

# The send activity's statements name the tables, not the ORM classes: SQLAlchemy's ORM layer
# is most of a statement's CPU for these plain reads and writes (profiled: a booking took
# ~5 ms of CPU, most of it ORM compile state).
RESERVATIONS = SendReservation.__table__
ACCOUNTS = SendAccount.__table__

# A slot at most this far ahead is READY: the caller sleeps the rest instead of a timer.
READY_WITHIN = timedelta(seconds=5)
# A slot used later than this is re-planned: a send recorded at T goes out by T + 30 s.
LATE_TOLERANCE = timedelta(seconds=30)
# What the planner reads behind `now`: the longest window, plus the limit margin.
LOOK_BACK = LimitWindow.WEEK.length + LIMIT_MARGIN + timedelta(minutes=1)
# Rows older than this count in no window any more and are deleted as the account reserves.
KEEP_FOR = timedelta(days=8)
# `release` leaves a slot this close to now alone: its send may be under way.
RELEASE_SAFETY = timedelta(minutes=1)

# A booking's statements, built once with bound parameters: a statement built per call costs
# its construction and its cache key every time, a third of a booking's CPU (measured).
_STEP_RESERVATION = select(RESERVATIONS.c.id, RESERVATIONS.c.send_at, RESERVATIONS.c.reason).where(
    RESERVATIONS.c.campaign_id == bindparam("campaign_id"),
    RESERVATIONS.c.node_id == bindparam("node_id"),
    RESERVATIONS.c.state == ReservationState.RESERVED.value,
)
_DELETE_AGED = delete(RESERVATIONS).where(
    RESERVATIONS.c.account_id == bindparam("account_id"),
    RESERVATIONS.c.send_at < bindparam("before"),
)
_BOOKED = select(RESERVATIONS.c.send_at, RESERVATIONS.c.kind).where(
    and_(
        RESERVATIONS.c.account_id == bindparam("account_id"),
        RESERVATIONS.c.send_at > bindparam("since"),
    )
)
_INSERT_RESERVATION = insert(RESERVATIONS)


@cache
def _lock_statement(dialect: str) -> Any:
    """The account's upsert that takes its lock (`_lock_account`), for `dialect`."""
    statement = dialect_insert(dialect, ACCOUNTS)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "channel_type"],
        set_={"touched_at": statement.excluded.touched_at},
    ).returning(ACCOUNTS.c.id)


def ledger_now(attempt_scheduled_at: datetime | None = None) -> datetime:
    """The `now` to give the ledger from the send activity: the later of the wall clock and
    the attempt's scheduled time (`activity.info().current_attempt_scheduled_time`).

    In production the two agree within the task queue's latency; on Temporal's time-skipping
    server the scheduled time is the campaign's clock, days ahead of the wall, so a slot the
    workflow slept until is found due."""
    wall = datetime.now(UTC)
    return max(wall, attempt_scheduled_at) if attempt_scheduled_at else wall


async def reserve(
    sessions: SessionFactory, request: ReserveRequest, *, now: datetime
) -> Reservation:
    """Book (or find) the slot of `request`'s send; idempotent per campaign and node.

    `now` is the caller's clock: in the send activity, the later of the wall clock and the
    attempt's scheduled time, so tests on Temporal's time-skipping server agree with it."""
    async with _one_sqlite_writer(sessions), sessions() as session, session.begin():
        account_id = await _lock_account(session, request.user_id, request.account, now)
        existing = (
            await session.execute(
                _STEP_RESERVATION,
                {"campaign_id": request.campaign_id, "node_id": request.node_id},
            )
        ).first()
        settings, _ = await load_settings(session, request.user_id)
        schedule = request.schedule or settings.schedule
        if existing is not None:
            if existing.send_at >= now - LATE_TOLERANCE:
                return _answer(request.kind, existing.send_at, existing.reason, schedule, now)
            await _set_aside_late(session, existing.id, request)
        await session.execute(_DELETE_AGED, {"account_id": account_id, "before": now - KEEP_FOR})
        plan = plan_slot(
            booked=await _booked(session, account_id, since=now - LOOK_BACK),
            kind=request.kind,
            limits=settings.limits.for_kind(request.kind),
            gap=settings.pacing.gap_for(request.account, request.key) / request.pacing_scale,
            schedule=schedule,
            now=now,
            not_after=request.not_after,
        )
        if plan.at is None:
            reason = plan.reason or WaitReason.WINDOW_CLOSED
            return Reservation(
                status=ReservationStatus.NO_SLOT,
                reason=reason,
                description=describe_no_slot(reason, request.kind),
            )
        await session.execute(
            _INSERT_RESERVATION,
            {
                "account_id": account_id,
                "campaign_id": request.campaign_id,
                "node_id": request.node_id,
                "kind": request.kind.value,
                "state": ReservationState.RESERVED.value,
                "send_at": plan.at,
                "reason": plan.reason.value if plan.reason else None,
                "created_at": now,
            },
        )
        return _answer(request.kind, plan.at, plan.reason, schedule, now)


async def release(
    sessions: SessionFactory,
    campaign_id: str,
    *,
    node_id: int | None = None,
    now: datetime,
    sent_nothing: bool = False,
) -> int:
    """Free a campaign's reserved slots (one node's, or all), and say how many.

    Without `sent_nothing`, only slots still more than a minute ahead are freed (a campaign
    that ended): a slot whose time has come may be in use and ages out on its own. With it
    (the send activity knows it posted nothing: no channel, a reply, a refusal), the node's
    slot is freed whatever its time."""
    conditions = [
        RESERVATIONS.c.campaign_id == campaign_id,
        RESERVATIONS.c.state == ReservationState.RESERVED.value,
    ]
    if node_id is not None:
        conditions.append(RESERVATIONS.c.node_id == node_id)
    if not sent_nothing:
        conditions.append(RESERVATIONS.c.send_at > now + RELEASE_SAFETY)
    async with sessions() as session, session.begin():
        result = await session.execute(delete(RESERVATIONS).where(*conditions))
    return int(getattr(result, "rowcount", 0) or 0)


class LimitUsage(CamelModel):
    """One limit of one account: sends in the rolling window ending now, and booked ahead."""

    account: ChannelType
    kind: SendKind
    window: LimitWindow
    limit: int
    used: int
    queued: int
    # When one more send of this kind could go, by limits and the window (pacing aside).
    next_free_at: datetime | None


class WaitingSend(CamelModel):
    """A send booked ahead of now, with why it waits."""

    campaign_id: str
    node_id: int
    account: ChannelType
    kind: SendKind
    send_at: datetime
    reason: WaitReason | None
    description: str | None


async def usage(
    sessions: SessionFactory,
    user_id: int,
    *,
    now: datetime,
    accounts: Iterable[ChannelType] = tuple(ChannelType),
) -> list[LimitUsage]:
    """Each limit of the user's `accounts`, with its use now (for the dashboard and API)."""
    wanted = set(accounts)
    async with sessions() as session:
        settings, _ = await load_settings(session, user_id)
        ids = await _account_ids(session, user_id)
        booked_by_account = {
            account: await _booked(session, ids[account], since=now - LOOK_BACK)
            if account in ids
            else []
            for account in wanted
        }
    result = []
    for limit in settings.limits.all():
        account = ACCOUNT_OF_KIND[limit.kind]
        if account not in wanted:
            continue
        times = [b.at for b in booked_by_account[account] if b.kind is limit.kind]
        start = now - limit.window.length
        next_free = plan_slot(
            booked=booked_by_account[account],
            kind=limit.kind,
            limits=[limit],
            gap=timedelta(0),
            schedule=settings.schedule,
            now=now,
            not_after=now + timedelta(days=30),
        )
        result.append(
            LimitUsage(
                account=account,
                kind=limit.kind,
                window=limit.window,
                limit=limit.max_sends,
                used=sum(1 for at in times if start < at <= now),
                queued=sum(1 for at in times if at > now),
                next_free_at=next_free.at,
            )
        )
    return result


async def waiting_sends(
    sessions: SessionFactory, user_id: int, *, now: datetime, limit: int = 500
) -> list[WaitingSend]:
    """The user's sends booked ahead of now, soonest first, with why each waits."""
    async with sessions() as session:
        settings, _ = await load_settings(session, user_id)
        rows = await session.execute(
            select(SendReservation, SendAccount.channel_type)
            .join(SendAccount, SendAccount.id == SendReservation.account_id)
            .where(
                SendAccount.user_id == user_id,
                SendReservation.state == ReservationState.RESERVED.value,
                SendReservation.send_at > now,
            )
            .order_by(SendReservation.send_at)
            .limit(limit)
        )
    waiting = []
    for reservation, channel_type in rows.all():
        kind = SendKind(reservation.kind)
        reason = WaitReason(reservation.reason) if reservation.reason else None
        waiting.append(
            WaitingSend(
                campaign_id=reservation.campaign_id,
                node_id=reservation.node_id,
                account=ChannelType(channel_type),
                kind=kind,
                send_at=reservation.send_at,
                reason=reason,
                description=describe_wait(
                    reason, kind, reservation.send_at, settings.schedule, now=now
                )
                if reason
                else None,
            )
        )
    return waiting


# SQLite has one writer per database. Reservers of one process queue on this lock, in order,
# instead of in SQLite's busy handler, which polls and can starve a waiter past its timeout when
# hundreds of sends are due at once; other processes still wait on SQLite's own lock.
_SQLITE_WRITERS: WeakKeyDictionary[Any, asyncio.Lock] = WeakKeyDictionary()


@asynccontextmanager
async def _one_sqlite_writer(sessions: SessionFactory) -> AsyncIterator[None]:
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        yield
        return
    async with _SQLITE_WRITERS.setdefault(engine.sync_engine, asyncio.Lock()):
        yield


# --- inside the transaction ----------------------------------------------------------------


async def _lock_account(
    session: AsyncSession, user_id: int, account: ChannelType, now: datetime
) -> int:
    """The account's id, its row locked until the transaction ends (created when new).

    An upsert that always updates: on PostgreSQL it takes the row lock (FOR UPDATE) also when
    the row exists; on SQLite, as the transaction's first statement, it takes the database's
    write lock before anything is read, so no reader acts on a stale snapshot."""
    statement = _lock_statement(session.get_bind().dialect.name)
    values = {"user_id": user_id, "channel_type": account.value, "touched_at": now}
    return int((await session.execute(statement, values)).scalar_one())


async def _set_aside_late(
    session: AsyncSession, reservation_id: int, request: ReserveRequest
) -> None:
    """A slot whose time passed unused is re-planned. If an earlier attempt may have posted
    in it, it stays counted (retired) until it ages out; otherwise it is deleted."""
    if request.earlier_attempt_may_have_sent:
        await session.execute(
            update(RESERVATIONS)
            .where(RESERVATIONS.c.id == reservation_id)
            .values(state=ReservationState.RETIRED.value)
        )
    else:
        await session.execute(delete(RESERVATIONS).where(RESERVATIONS.c.id == reservation_id))


async def _booked(session: AsyncSession, account_id: int, *, since: datetime) -> list[Booked]:
    rows = await session.execute(_BOOKED, {"account_id": account_id, "since": since})
    return [Booked(at, SendKind(kind)) for at, kind in rows.all()]


async def _account_ids(session: AsyncSession, user_id: int) -> dict[ChannelType, int]:
    rows = await session.execute(
        select(SendAccount.channel_type, SendAccount.id).where(SendAccount.user_id == user_id)
    )
    return {ChannelType(channel_type): account_id for channel_type, account_id in rows.all()}


def _answer(
    kind: SendKind,
    send_at: datetime,
    reason: str | WaitReason | None,
    schedule: SendSchedule,
    now: datetime,
) -> Reservation:
    wait = max(send_at - now, timedelta(0))
    if wait <= READY_WITHIN:
        return Reservation(status=ReservationStatus.READY, send_at=send_at, wait=wait)
    why = WaitReason(reason) if reason else WaitReason.PACING
    return Reservation(
        status=ReservationStatus.WAIT,
        send_at=send_at,
        wait=wait,
        reason=why,
        description=describe_wait(why, kind, send_at, schedule, now=now),
        time_zone=schedule.time_zone,
    )
